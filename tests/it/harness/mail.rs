//! Test messages, written the way real clients write them.

/// A plain message. `extra` is added to the header (each line ending in CRLF).
pub fn plain(from: &str, subject: &str, message_id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: IT Helpdesk <helpdesk@corp.test>\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\nDate: Mon, 23 Nov 2026 07:55:00 +0700\r\n\
         MIME-Version: 1.0\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// Alice's report from Outlook: HTML and text alternatives plus a PNG screenshot.
pub fn outlook_with_screenshot(message_id: &str) -> Vec<u8> {
    format!(
        "From: \"Alice Wijaya\" <alice@corp.test>\r\n\
To: \"IT Helpdesk\" <helpdesk@corp.test>\r\n\
Subject: Internet lambat di gedung B\r\n\
Thread-Topic: Internet lambat di gedung B\r\n\
Thread-Index: AdnWj3c5QpVn3k0lTfS0lQ==\r\n\
Date: Mon, 23 Nov 2026 07:55:00 +0700\r\n\
Message-ID: <{message_id}>\r\n\
Accept-Language: id-ID, en-US\r\n\
Content-Language: id-ID\r\n\
X-MS-Has-Attach: yes\r\n\
X-Mailer: Microsoft Outlook 16.0\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"_004_outer_\"\r\n\
\r\n\
--_004_outer_\r\n\
Content-Type: multipart/alternative; boundary=\"_000_inner_\"\r\n\
\r\n\
--_000_inner_\r\n\
Content-Type: text/plain; charset=\"iso-8859-1\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Selamat pagi,\r\n\
\r\n\
Internet di gedung B lambat sekali sejak kemarin sore. Screenshot speedtest terlampir.\r\n\
\r\n\
Terima kasih,\r\n\
Alice\r\n\
\r\n\
--_000_inner_\r\n\
Content-Type: text/html; charset=\"iso-8859-1\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
<html><body><p>Selamat pagi,</p><p>Internet di gedung B lambat sekali sejak kemarin sore. Screenshot speedtest terlampir.</p><p>Terima kasih,<br>Alice</p></body></html>\r\n\
\r\n\
--_000_inner_--\r\n\
\r\n\
--_004_outer_\r\n\
Content-Type: image/png; name=\"speedtest.png\"\r\n\
Content-Description: speedtest.png\r\n\
Content-Disposition: attachment; filename=\"speedtest.png\"; size=70\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\r\n\
\r\n\
--_004_outer_--\r\n"
    )
    .into_bytes()
}

/// A header value from raw mail (first occurrence, unfolded).
pub fn header(raw: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        if let Some(v) = value.as_mut() {
            if line.starts_with(' ') || line.starts_with('\t') {
                v.push(' ');
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((n, v)) = line.split_once(':')
            && n.eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_string());
        }
    }
    value
}

/// The bare address of a header value: inside `<…>` when there is one.
pub fn address(value: &str) -> String {
    match value.rsplit_once('<') {
        Some((_, rest)) => rest.trim_end().trim_end_matches('>').to_string(),
        None => value.trim().to_string(),
    }
}

/// The decoded subject of raw mail.
pub fn subject(raw: &[u8]) -> String {
    posko::parse::parse(raw, "corp.test")
        .map(|m| m.subject)
        .unwrap_or_default()
}

/// The readable text of raw mail.
pub fn body_text(raw: &[u8]) -> String {
    posko::parse::parse(raw, "corp.test")
        .map(|m| m.body_text)
        .unwrap_or_default()
}
