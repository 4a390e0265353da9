import type { FaultDefinition } from './catalog.js';

/**
 * Faults of the way to the broker: TLS, credentials, broker ACL and session takeover. Each
 * says which side is wrong, so a technician on site knows whether to fix the box (its files,
 * its clock) or call the city's broker operator. docs/security.md explains the setup.
 */
export const TRANSPORT_FAULTS = {
  TLS_SERVER_UNTRUSTED: {
    severity: 'error',
    component: 'uplink',
    description: "The broker's TLS certificate does not chain to the CA the box trusts; the box does not connect.",
    causes: ['uplink.tls.ca names the wrong CA file (an old or test CA)', 'the city renewed the broker certificate under a new CA', 'something other than the city broker answers at that address (a captive portal, an interception proxy)'],
    remedy: "Get the city's current CA certificate, install it as the file uplink.tls.ca names (`openssl x509 -in FILE -noout -subject -enddate` shows which it is) and restart. Never disable verification.",
  },
  TLS_HOSTNAME_MISMATCH: {
    severity: 'error',
    component: 'uplink',
    description: "The broker's certificate is for another host name than the one the box connects to.",
    causes: ['uplink.url uses an IP address or an alias the certificate does not list', 'DNS points the name at another server', 'uplink.tls.servername is wrong'],
    remedy: "Use the host name printed on the broker's certificate in uplink.url (or set uplink.tls.servername to it when connecting by IP); check DNS with `getent hosts NAME`.",
  },
  TLS_CERT_EXPIRED: {
    severity: 'error',
    component: 'uplink',
    description: "A certificate is outside its validity dates, the broker's or the box's own (the fault message says which).",
    causes: ["the box's client certificate was not renewed", "the broker's certificate was not renewed", "the box's clock is wrong (no NTP yet, flat RTC battery), so valid certificates look expired or not yet valid"],
    remedy: "Check the box's clock first (`timedatectl`; CLOCK_UNSYNCED). If the box's certificate expired, issue a new one from the city CA and replace uplink.tls.cert and uplink.tls.key; if the broker's did, call the broker operator.",
  },
  TLS_PROTOCOL_MISMATCH: {
    severity: 'error',
    component: 'uplink',
    description: 'The box and the broker port disagree on TLS: plain MQTT to a TLS port, or TLS to a plain port.',
    causes: ['mqtt:// with the TLS port (8883) or mqtts:// with the plain port (1883)', 'a firewall or proxy in between that ends or adds TLS'],
    remedy: 'Match the scheme to the port: mqtts://host:8883 for TLS (with uplink.tls), mqtt://host:1883 only on loopback or a trusted network. `edgefw config check` warns about plain MQTT to another machine.',
  },
  TLS_CLIENT_CERT_REFUSED: {
    severity: 'error',
    component: 'uplink',
    description: "The broker refused the box's client certificate (or got none where it requires one).",
    causes: ['uplink.tls.cert/key missing while the broker requires a client certificate', 'the certificate was issued by another CA than the one the broker trusts (a test CA)', 'the certificate was revoked'],
    remedy: "Install the box's certificate and key issued by the city CA (uplink.tls.cert, uplink.tls.key); check with `openssl verify -CAfile CITY_CA.pem BOX_CERT.pem`; ask the broker operator whether it was revoked.",
  },
  BROKER_AUTH_REFUSED: {
    severity: 'error',
    component: 'uplink',
    description: "The broker refused the box's login (user name or password).",
    causes: ['wrong password in the file uplink.passwordFile names, or a trailing space in it', 'uplink.username is not the one the broker knows for this box', 'the broker operator disabled the account'],
    remedy: 'Check uplink.username and the password file (one line, no spaces); ask the broker operator to check the account. The box retries with backoff; readings are kept meanwhile.',
  },
  BROKER_NOT_AUTHORIZED: {
    severity: 'error',
    component: 'uplink',
    description: "The broker's access rules refuse this box on its own topics (publish or subscribe denied).",
    causes: ["box.id or uplink.topicPrefix differs from what the broker's ACL grants this login (a profile copied from another box)", 'the ACL on the broker is missing an entry for this box'],
    remedy: "Check box.id against the label on the box and the broker's ACL entry for its user or certificate (docs/security.md, broker ACL). Readings are kept while this lasts.",
  },
  SESSION_TAKEOVER: {
    severity: 'error',
    component: 'uplink',
    description: "Another client connected with the box's MQTT client id, and the broker disconnected the box; it happened repeatedly.",
    causes: ['two boxes run with the same profile and client id (a cloned SD card)', 'someone impersonates the box on the broker', 'an explicit uplink.clientId shared by several boxes'],
    remedy: "Find the other client: the broker log names its address. Give every box its own identity (remove uplink.clientId so the id derives from the box key; re-provision a cloned card). Ask the broker operator to tie client ids to each box's login (docs/security.md).",
    // raised on every takeover, cleared only once a connection has stayed up: three in a row is the fault
    raiseAfter: 3,
  },
} as const satisfies Record<string, FaultDefinition>;
