/**
 * The trust-list name of the box's own key: always trusted for `diag`, so `edgefw diag` run on
 * the box by someone who can read its key asks the running service without a trust list.
 */
export const BOX_SIGNER = 'box';
