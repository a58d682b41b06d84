//! A real IMAP server (Dovecot) and SMTP server (aiosmtpd relaying to Dovecot LMTP) on loopback.
