//! Realistic generated mail: requesters, subjects and bodies in Indonesian,
//! replies that thread, every 10th message with a small attachment; and one
//! huge message written in pieces.

use super::*;

pub(crate) const FIRST: &[&str] = &[
    "Agus", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gilang", "Hana", "Indra", "Joko", "Kartika",
    "Lestari", "Made", "Nur", "Oki", "Putri", "Rizky", "Sari", "Taufik", "Wulan", "Yusuf", "Zahra",
    "Andi", "Bayu", "Dian",
];

pub(crate) const LAST: &[&str] = &[
    "Pratama", "Santoso", "Wijaya", "Hidayat", "Siregar", "Nasution", "Saputra", "Kusuma", "Halim",
    "Gunawan",
];

pub(crate) const SUBJECTS: &[&str] = &[
    "Internet lambat di gedung B",
    "Printer lantai 3 tidak bisa mencetak",
    "Lupa password email",
    "VPN tidak bisa connect dari rumah",
    "Laptop mati total setelah update Windows",
    "Permintaan akses ke shared folder Keuangan",
    "Outlook keeps asking for my password",
    "Cannot join Teams meeting – audio error",
    "Monitor berkedip terus",
    "Permintaan instalasi AutoCAD 2024",
    "Wi-Fi tamu tidak ada internet",
    "Email ke klien kena bounce",
    "Keyboard rusak, mohon diganti",
    "New employee onboarding: laptop & account",
    "Aplikasi SAP error saat login",
    "Phishing email received, please check",
    "Proyektor ruang rapat tidak terdeteksi",
    "Disk C penuh, komputer sangat lambat",
    "Please reset my MFA device",
    "Akun terkunci setelah salah password",
];

pub(crate) const PLACES: &[&str] = &[
    "lantai 2",
    "lantai 5",
    "gedung A",
    "cabang Surabaya",
    "kantor Bandung",
    "ruang rapat Merapi",
    "gudang Cikarang",
];

pub(crate) const SENTENCES: &[&str] = &[
    "Sejak tadi pagi masalah ini muncul terus dan belum ada perubahan.",
    "Saya sudah mencoba restart komputer tapi hasilnya tetap sama.",
    "Mohon bantuannya karena pekerjaan saya jadi terhambat.",
    "Beberapa rekan di ruangan yang sama juga mengalami hal serupa.",
    "Pesan error yang muncul: \"The operation could not be completed (0x80070005)\".",
    "This started after the update last night and happens every time I log in.",
    "I have already cleared the cache and tried another browser, without success.",
    "Could someone from the network team take a look today, please?",
    "Nomor aset laptop saya ada di stiker bagian bawah, silakan dicek.",
    "Kalau perlu remote, saya ada di meja sampai jam lima sore.",
    "Deadline laporan bulanan jatuh hari Jumat, jadi cukup mendesak.",
    "Screenshot sudah saya lampirkan kalau memungkinkan.",
    "The issue seems to be limited to the second floor; the ground floor works fine.",
    "Terima kasih sebelumnya atas bantuan dan kerja samanya.",
    "Koneksi kabel LAN juga sudah saya cabut dan pasang kembali.",
    "Our auditors need access to the shared drive by Wednesday.",
];

pub(crate) struct Sent {
    ticket: u64,
    message_id: String,
    subject: String,
    date: String,
    from: String,
    /// The sender's name and address, for their replies.
    name: String,
    addr: String,
}

/// Deterministic mail: ~50 senders, subjects in Indonesian and English,
/// a 1–3 KB text body, every 10th message with a small base64 attachment,
/// and about one in ten a reply (by subject tag or by In-Reply-To) to an
/// earlier message, so threading is exercised: nine in ten of those from
/// the earlier message's sender (a requester answering), the rest from
/// another sender (a colleague who was not in the conversation, whose mail
/// is a non-participant's note).
pub(crate) struct Generator {
    rng: StdRng,
    nonce: u64,
    n: usize,
    originals: Vec<Sent>,
    pub(crate) new_tickets: usize,
    pub(crate) replies: usize,
    pub(crate) bytes: usize,
}

impl Generator {
    pub(crate) fn new(seed: u64) -> Generator {
        Generator {
            rng: StdRng::seed_from_u64(seed),
            nonce: now() as u64 ^ (std::process::id() as u64) << 32,
            n: 0,
            originals: Vec::new(),
            new_tickets: 0,
            replies: 0,
            bytes: 0,
        }
    }

    fn sender(&mut self) -> (String, String) {
        let k = self.rng.random_range(0..50usize);
        let first = FIRST[k % FIRST.len()];
        let last = LAST[(k / FIRST.len() * 3 + k) % LAST.len()];
        (
            format!("{first} {last}"),
            format!("{}.{}@corp.test", first.to_lowercase(), last.to_lowercase()),
        )
    }

    fn body(&mut self, name: &str) -> String {
        let target = self.rng.random_range(1000..3000usize);
        let mut s = String::from("Halo tim IT,\n\n");
        while s.len() < target {
            let sentence = SENTENCES[self.rng.random_range(0..SENTENCES.len())];
            s.push_str(sentence);
            s.push(if self.rng.random_bool(0.25) {
                '\n'
            } else {
                ' '
            });
        }
        let _ = write!(
            s,
            "\n\nSalam,\n{name}\nDivisi Operasional\nExt. {}\n",
            self.rng.random_range(1000..9999)
        );
        s
    }

    pub(crate) fn next_message(&mut self) -> Vec<u8> {
        let i = self.n;
        self.n += 1;
        let date = format!(
            "Mon, 23 Nov 2026 {:02}:{:02}:{:02} +0700",
            8 + (i / 3600) % 10,
            (i / 60) % 60,
            i % 60
        );
        let message_id = format!("bench.{i}.{:x}@mail.corp.test", self.nonce);
        let reply = i >= 20 && !self.originals.is_empty() && self.rng.random_bool(0.1);
        let (name, addr, subject, threading, quote) = if reply {
            let k = self.rng.random_range(0..self.originals.len());
            let by_tag = self.rng.random_bool(0.5);
            let p = &self.originals[k];
            let (subject, threading) = if by_tag {
                (
                    format!("Re: [Helpdesk #{}] {}", p.ticket, p.subject),
                    String::new(),
                )
            } else {
                (
                    format!("Re: {}", p.subject),
                    format!(
                        "In-Reply-To: <{}>\r\nReferences: <{}>\r\n",
                        p.message_id, p.message_id
                    ),
                )
            };
            let quote = format!(
                "\nPada {}, {} menulis:\n> Halo tim IT,\n> \n> (pesan sebelumnya)\n",
                p.date, p.from
            );
            let (name, addr) = if self.rng.random_bool(0.9) {
                (p.name.clone(), p.addr.clone())
            } else {
                self.sender()
            };
            self.replies += 1;
            (name, addr, subject, threading, quote)
        } else {
            let (name, addr) = self.sender();
            let mut subject = SUBJECTS[self.rng.random_range(0..SUBJECTS.len())].to_string();
            if self.rng.random_bool(0.5) {
                let _ = write!(
                    subject,
                    " ({})",
                    PLACES[self.rng.random_range(0..PLACES.len())]
                );
            }
            self.new_tickets += 1;
            self.originals.push(Sent {
                ticket: self.new_tickets as u64,
                message_id: message_id.clone(),
                subject: subject.clone(),
                date: date.clone(),
                from: format!("{name} <{addr}>"),
                name: name.clone(),
                addr: addr.clone(),
            });
            (name, addr, subject, String::new(), String::new())
        };
        let text = self.body(&name) + &quote;
        let mut m = String::with_capacity(text.len() + 2048);
        let _ = write!(
            m,
            "Return-Path: <{addr}>\r\n\
             Received: from mail.corp.test (mail.corp.test [10.0.0.5])\r\n\tby mx.corp.test with ESMTPS id {i:x}; {date}\r\n\
             From: \"{name}\" <{addr}>\r\n\
             To: IT Helpdesk <helpdesk@corp.test>\r\n\
             Subject: {}\r\n\
             Date: {date}\r\n\
             Message-ID: <{message_id}>\r\n\
             {threading}\
             MIME-Version: 1.0\r\n",
            encode_header(&subject)
        );
        if i % 10 == 9 {
            let mut data = vec![0u8; self.rng.random_range(2048..8192usize)];
            self.rng.fill_bytes(&mut data);
            let _ = write!(
                m,
                "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n\
                 --b{i}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
                 {}\r\n--b{i}\r\nContent-Type: image/png; name=\"layar-{i}.png\"\r\n\
                 Content-Disposition: attachment; filename=\"layar-{i}.png\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n",
                crlf(&text)
            );
            base64_lines(&data, &mut m);
            let _ = write!(m, "--b{i}--\r\n");
        } else {
            let _ = write!(
                m,
                "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
                crlf(&text)
            );
        }
        self.bytes += m.len();
        m.into_bytes()
    }
}

pub(crate) fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

/// RFC 2047 B-encoding when the text is not plain ASCII.
pub(crate) fn encode_header(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    let mut out = String::from("=?UTF-8?B?");
    base64(s.as_bytes(), &mut out);
    out.push_str("?=");
    out
}

/// `data` in base64 (RFC 4648, padded), appended to `out`.
pub(crate) fn base64(data: &[u8], out: &mut String) {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode_string(data, out);
}

/// Base64 in 76-character lines, each ended by CRLF.
pub(crate) fn base64_lines(data: &[u8], out: &mut String) {
    for line in data.chunks(57) {
        base64(line, out);
        out.push_str("\r\n");
    }
}

/// Writes a message with a `size`-byte attachment to `path` in pieces, so
/// generating it costs almost no memory; returns the file's size.
pub(crate) fn write_big_message(path: &Path, size: usize) -> Result<u64> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    write!(
        f,
        "From: \"Rizky Pratama\" <rizky.pratama@corp.test>\r\n\
         To: IT Helpdesk <helpdesk@corp.test>\r\n\
         Subject: Log server produksi (besar)\r\n\
         Date: Mon, 23 Nov 2026 09:00:00 +0700\r\n\
         Message-ID: <big.{}@mail.corp.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"BIG\"\r\n\r\n\
         --BIG\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
         Halo tim IT,\r\n\r\nTerlampir log server produksi untuk dianalisis.\r\n\r\nSalam,\r\nRizky\r\n\
         --BIG\r\nContent-Type: application/octet-stream; name=\"server.log.bin\"\r\n\
         Content-Disposition: attachment; filename=\"server.log.bin\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n",
        now()
    )?;
    let mut rng = StdRng::seed_from_u64(25);
    let mut chunk = vec![0u8; 57 * 1024];
    let mut line = String::with_capacity(80 * 1024);
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        rng.fill_bytes(&mut chunk[..n]);
        line.clear();
        base64_lines(&chunk[..n], &mut line);
        f.write_all(line.as_bytes())?;
        left -= n;
    }
    f.write_all(b"--BIG--\r\n")?;
    f.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_mail_parses_and_threads() {
        let mut g = Generator::new(1);
        for _ in 0..200 {
            let raw = g.next_message();
            let m = posko::parse::parse(&raw, "corp.test").expect("parses");
            assert!(m.from.is_some());
            assert!(m.auto.is_none(), "{:?}", m.auto);
        }
        assert!(g.replies > 0 && g.new_tickets > 150);
    }
}
