#!/usr/bin/env -S node --max-semi-space-size=1
// The installed command: runs the compiled CLI (npm ci builds dist/ through the prepare script).
// The shebang sizes V8 for a small box as the systemd unit does (docs/footprint.md): a 1 MB
// semi-space keeps each thread's young generation at 2 MB instead of letting it grow to 32 MB.
import '../dist/tools/cli.js';
