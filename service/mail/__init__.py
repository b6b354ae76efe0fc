"""The mail gateway (issue 7): outbound label enforcement and inbound 無害化 for messages that
a milter (``sekisho milter``) or an HTTP gateway (``POST /v1/mail/...``) hands over."""
