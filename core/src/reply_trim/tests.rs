//! Unit tests of the reply reader: one behaviour each, and property tests
//! that any input is read without a panic and keeps only its own lines.

use super::*;
use proptest::prelude::*;

fn reply(text: &str) -> String {
    trim(text).reply
}

#[test]
fn empty_input_gives_empty_parts() {
    assert_eq!(trim(""), Trimmed::default());
    assert_eq!(trim(" \r\n\n\t"), Trimmed::default());
}

#[test]
fn plain_text_is_kept_whole_with_lf_endings() {
    let t = trim("Halo,\r\nlaptop saya mati.\rTolong dicek.\r\n");
    assert_eq!(t.reply, "Halo,\nlaptop saya mati.\nTolong dicek.");
    assert_eq!(t.elided, "");
}

#[test]
fn indonesian_gmail_header_and_quote_are_elided() {
    let t = trim(
        "Baik, printer sudah normal lagi. Terima kasih.\n\n\
         Pada Sen, 23 Nov 2026 pukul 10.15, Alice Wijaya <alice@corp.test> menulis:\n\n\
         > Printer lantai 3 macet.\n> \n> Salam,\n> Alice\n",
    );
    assert_eq!(t.reply, "Baik, printer sudah normal lagi. Terima kasih.");
    assert!(
        t.elided.starts_with("Pada Sen, 23 Nov 2026 pukul 10.15"),
        "{t:?}"
    );
    assert!(t.elided.ends_with("> Alice"), "{t:?}");
}

#[test]
fn indonesian_gmail_header_wrapped_over_lines_is_rejoined() {
    let t = trim(
        "Sudah bisa login.\n\n\
         Pada Sen, 23 Nov 2026 pukul 10.15, Alice Wijaya <\n\
         alice@corp.test> menulis:\n\n\
         > Coba lagi ya.\n",
    );
    assert_eq!(t.reply, "Sudah bisa login.");
    assert_eq!(
        t.elided,
        "Pada Sen, 23 Nov 2026 pukul 10.15, Alice Wijaya < alice@corp.test> menulis:\n\n> Coba lagi ya."
    );

    let three = trim(
        "Oke.\nPada tanggal Sen, 23 Nov 2026 pukul 10.15\nAlice Wijaya <alice@corp.test>\nmenulis:\n> Halo\n",
    );
    assert_eq!(three.reply, "Oke.");
}

#[test]
fn indonesian_outlook_header_block_cuts_the_rest() {
    let t = trim(
        "Sudah saya coba, masih gagal.\n\n\
         Dari: Posko IT <posko@corp.test>\n\
         Dikirim: Senin, 23 November 2026 10.15\n\
         Kepada: Budi Santoso <budi@corp.test>\n\
         Cc: Tim IT <it@corp.test>\n\
         Perihal: [#42] Laptop tidak bisa login\n\n\
         Halo Budi, silakan restart laptop Anda.\n",
    );
    assert_eq!(t.reply, "Sudah saya coba, masih gagal.");
    assert!(t.elided.starts_with("Dari: Posko IT"), "{t:?}");
    assert!(t.elided.ends_with("silakan restart laptop Anda."), "{t:?}");

    let t = trim(
        "Terlampir screenshot-nya.\n\
         ________________________________\n\
         Dari: Alice <alice@corp.test>\n\
         Tanggal: 23 November 2026 10.15\n\
         Kepada: Posko IT <posko@corp.test>\n\
         Subjek: VPN putus\n\nVPN putus terus.\n",
    );
    assert_eq!(t.reply, "Terlampir screenshot-nya.");
}

#[test]
fn indonesian_original_message_marker_cuts_the_rest() {
    let t = trim(
        "Mohon ditindaklanjuti.\n\n-----Pesan Asli-----\n\
         Dari: Alice\nDikirim: Senin, 23 November 2026 10.15\nKepada: Posko IT\n\
         Perihal: Printer\n\nPrinter macet.\n",
    );
    assert_eq!(t.reply, "Mohon ditindaklanjuti.");
    assert!(t.elided.starts_with("-----Pesan Asli-----"), "{t:?}");
}

#[test]
fn indonesian_mobile_signatures_are_elided() {
    for sig in [
        "Dikirim dari iPhone saya",
        "Dikirim dari Yahoo Mail di Android",
        "Dikirim dari ponsel cerdas Samsung Galaxy saya",
    ] {
        let t = trim(&format!("Siap, terima kasih.\n\n{sig}\n"));
        assert_eq!(t.reply, "Siap, terima kasih.", "{sig}");
        assert_eq!(t.elided, sig);
    }
    let t = trim(
        "Oke sudah jalan.\n\nDikirim dari iPhone saya\n\n\
         Pada 23 Nov 2026, pukul 10.15, Posko IT <posko@corp.test> menulis:\n\n> Halo\n",
    );
    assert_eq!(t.reply, "Oke sudah jalan.");
    assert!(t.elided.starts_with("Dikirim dari iPhone saya"), "{t:?}");
}

#[test]
fn sentences_that_look_like_signatures_are_kept() {
    // Plain Indonesian: "sent from the warehouse yesterday, the goods are damaged".
    let text = "Dikirim dari gudang kemarin, barangnya rusak.\nMohon dicek.";
    assert_eq!(reply(text), text);
    // A "Sent from" sentence followed by more of the sender's text.
    let text = "Sent via courier yesterday.\n\nDid it arrive?";
    assert_eq!(reply(text), text);
    // A lone field-like line is the sender's own words.
    let text = "Perihal: printer lantai 3\nTanggal: kemarin\nMasih macet.";
    assert_eq!(reply(text), text);
}

#[test]
fn mobile_signature_above_a_signature_block_is_elided() {
    let t = trim("Thanks\n\nSent from my iPhone\n-- \nBudi Santoso\nFinance");
    assert_eq!(t.reply, "Thanks");
    assert_eq!(t.elided, "Sent from my iPhone\n-- \nBudi Santoso\nFinance");
    let t = trim("Oke\n\nDapatkan Outlook untuk Android<https://aka.ms/AAb9ysg>\n");
    assert_eq!(t.reply, "Oke");
}

#[test]
fn bottom_posted_answer_under_a_quoted_mail_is_kept() {
    let t = trim(
        "> On Mon, 23 Nov 2026 at 10:15, Posko IT <posko@corp.test> wrote:\n> Tiket [#7]\n\nSudah beres.",
    );
    assert_eq!(t.reply, "Sudah beres.");
    assert!(t.elided.starts_with("> On Mon"));
    // A quote and nothing else is kept: it is all the sender sent.
    assert_eq!(reply("> Printer macet lagi."), "> Printer macet lagi.");
}

#[test]
fn gmail_english_header_wrapped_and_quote_are_elided() {
    let t = trim(
        "Works now, thanks!\n\nOn Mon, Nov 23, 2026 at 10:15 AM Alice Wijaya <\n\
         alice@corp.test> wrote:\n\n> Please restart the VPN client.\n>\n",
    );
    assert_eq!(t.reply, "Works now, thanks!");
    assert!(
        t.elided
            .starts_with("On Mon, Nov 23, 2026 at 10:15 AM Alice Wijaya < alice@corp.test> wrote:"),
        "{t:?}"
    );
}

#[test]
fn apple_mail_english_header_is_elided() {
    let t = trim(
        "Still broken.\n\nSent from my iPhone\n\n\
         On 23 Nov 2026, at 10:15, Alice <a@b.test> wrote:\n\n> Is it fixed?\n",
    );
    assert_eq!(t.reply, "Still broken.");
    assert!(t.elided.starts_with("Sent from my iPhone"), "{t:?}");
    assert!(
        t.elided
            .contains("On 23 Nov 2026, at 10:15, Alice <a@b.test> wrote:")
    );
}

#[test]
fn outlook_english_forms_are_elided() {
    let t = trim(
        "Approved.\n\n-----Original Message-----\nFrom: Alice <a@b.test>\n\
         Sent: Monday, November 23, 2026 10:15 AM\nTo: IT Desk <desk@b.test>\n\
         Subject: New laptop\n\nCan I get a new laptop?\n",
    );
    assert_eq!(t.reply, "Approved.");
    assert!(t.elided.starts_with("-----Original Message-----"));

    let t = trim(
        "Approved.\r\n\r\n________________________________\r\nFrom: Alice <a@b.test>\r\n\
         Sent: Monday, November 23, 2026 10:15 AM\r\nTo: IT Desk\r\nSubject: New laptop\r\n\r\nBody\r\n",
    );
    assert_eq!(t.reply, "Approved.");
    assert!(
        t.elided
            .starts_with("________________________________\nFrom: Alice")
    );
}

#[test]
fn posko_acknowledgment_quote_below_the_reply_is_elided() {
    let ack = "> Halo Budi,\n>\n> Laporan Anda sudah kami terima dengan nomor tiket [#1234].\n\
               > Balas email ini untuk menambahkan informasi.\n>\n> -- \n> Posko IT\n";
    // Client that quotes without a header.
    let t = trim(&format!("Ini foto layarnya.\n\n{ack}"));
    assert_eq!(t.reply, "Ini foto layarnya.");
    assert!(t.elided.starts_with("> Halo Budi,") && t.elided.ends_with("> Posko IT"));
    // Gmail with its Indonesian header.
    let t = trim(&format!(
        "Ini foto layarnya.\n\nPada Sen, 23 Nov 2026 pukul 10.15 Posko IT <posko@corp.test> menulis:\n\n{ack}"
    ));
    assert_eq!(t.reply, "Ini foto layarnya.");
    assert!(t.elided.starts_with("Pada Sen"));
}

#[test]
fn inline_answers_between_quotes_are_kept() {
    let text = "Answers below.\n\
                On Mon, Nov 23, 2026 at 10:15 AM Posko IT <posko@corp.test> wrote:\n\
                > Which floor?\n\nThird floor.\n\n> Which printer?\n\nThe HP one.\n\n> Thanks\n";
    let t = trim(text);
    assert_eq!(
        t.reply,
        "Answers below.\n> Which floor?\n\nThird floor.\n\n> Which printer?\n\nThe HP one."
    );
    assert_eq!(
        t.elided,
        "On Mon, Nov 23, 2026 at 10:15 AM Posko IT <posko@corp.test> wrote:\n\n> Thanks"
    );
}

#[test]
fn forward_without_comment_keeps_the_forwarded_text() {
    let t = trim(
        "---------- Pesan terusan ---------\nDari: Alice <a@b.test>\n\
         Tanggal: Sen, 23 Nov 2026 pukul 10.15\nSubjek: Printer\nKepada: <budi@b.test>\n\n\
         Printer lantai 3 macet.\n",
    );
    assert_eq!(t.reply, "Printer lantai 3 macet.");
    assert!(t.elided.starts_with("---------- Pesan terusan"));
}

#[test]
fn code_blocks_are_not_delimiters() {
    let text = "Log:\n```\n---\n####\n```\nDone.";
    assert_eq!(reply(text), text);
}

#[test]
fn hostile_input_trims_quickly() {
    let mut text = String::from("Hi\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "On {i} Alice <a@b\n> wrote:\n--\nSent from my phone\nFrom: x\n"
        ));
    }
    let started = std::time::Instant::now();
    let t = trim(&text);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(t.reply, "Hi");
}

fn reader(text: &str, html: Option<&str>, subject: &str, sent: &[&str]) -> Trimmed {
    read(&Reply {
        text,
        html,
        subject,
        sent,
    })
}

#[test]
fn a_rule_inside_the_text_is_not_a_signature() {
    // A Markdown heading, a table's borders, a rule between two updates.
    for text in [
        "Ringkasan\n---------\n\nError 500 di menu Disposisi.\nMenu lain normal.",
        "Hasil:\n\n-----------\nLantai  Status\n-----------\n1       mati\n-----------\n\nMohon dicek.",
        "Update 1: Wi-Fi lobi mati.\n\n---\n\nUpdate 2: sudah muncul lagi tapi tidak dapat IP address sama sekali.\n\nRatna",
    ] {
        assert_eq!(reply(text), text);
    }
    // Under a blank line, over a short signature: a delimiter.
    let t = trim("Oke, terima kasih.\n\n______________\nBudi Santoso\nHP 0812-3456-7890");
    assert_eq!(t.reply, "Oke, terima kasih.");
    assert!(t.elided.starts_with("______________"));
}

#[test]
fn a_formal_letter_heading_is_the_senders_text() {
    let text = "Kepada: Tim IT\nPerihal: Akun SAP\nTanggal: 23 November 2026\nDari: Bagian Umum\n\nMohon dibuatkan akun.";
    assert_eq!(reply(text), text);
    // With a time and an address it is an Outlook block.
    let t = trim(
        "Oke.\n\nDari: Posko IT <helpdesk@corp.test>\nDikirim: Senin, 23 November 2026 10.15\n\
                  Kepada: Budi\nPerihal: Akun SAP\n\nHalo Budi",
    );
    assert_eq!(t.reply, "Oke.");
}

#[test]
fn verbless_header_split_inside_the_address_is_rejoined() {
    let t =
        trim("Спасибо!\n\n23.11.2026, 10:15, \"Posko IT\" <helpdesk@corp.test\n>:\n> Здравствуйте");
    assert_eq!(t.reply, "Спасибо!");
    assert!(t.elided.starts_with("23.11.2026, 10:15"), "{t:?}");
    // A weak header ("Budi wrote:") counts only above a quote.
    assert_eq!(
        reply("Budi wrote:\nthe printer is fine"),
        "Budi wrote:\nthe printer is fine"
    );
    assert_eq!(reply("Thanks!\n\nBudi wrote:\n> is it fine?"), "Thanks!");
}

#[test]
fn a_strong_mobile_signature_ends_the_reply_even_over_a_bare_quote() {
    let t = trim(
        "Baik, saya ambil jam 1.\n\nDikirim dari iPhone saya\n\nLaptop Anda sudah bisa diambil di ruang IT.",
    );
    assert_eq!(t.reply, "Baik, saya ambil jam 1.");
}

#[test]
fn our_own_mail_quoted_without_markers_is_set_aside() {
    let ours = "Yth. Budi,\n\nTerima kasih, laporan Anda sudah kami terima dan dicatat sebagai tiket #17:\n\n\
                Salam,\nPosko IT";
    let text = "Monitor masih berkedip.\n\nYth. Budi, Terima kasih, laporan Anda sudah kami terima dan \
                dicatat sebagai tiket #17: Salam, Posko IT";
    assert_eq!(
        reader(text, None, "Re: x", &[ours]).reply,
        "Monitor masih berkedip."
    );
    // Without the sent mail the reader cannot know: it keeps the text.
    assert_eq!(reader(text, None, "Re: x", &[]).reply, text);
}

#[test]
fn answers_typed_into_our_quoted_mail_keep_the_whole_quote() {
    let ours = "Mohon informasikan provider internet yang Anda pakai di rumah, beserta kecepatannya?\n\
                Apakah VPN juga putus bila Anda memakai hotspot dari ponsel, bukan Wi-Fi rumah?\n\n\
                Kami menunggu tanggapan Anda: cukup balas email ini dan tiket akan kami lanjutkan.";
    let text = "Dari: Posko IT <helpdesk@corp.test>\nDikirim: Senin, 23 November 2026 10.15\nKepada: Budi\n\
                Perihal: VPN\n\nMohon informasikan provider internet yang Anda pakai di rumah, beserta \
                kecepatannya?\n\nBiznet 50 Mbps.\n\nApakah VPN juga putus bila Anda memakai hotspot dari \
                ponsel, bukan Wi-Fi rumah?\n\nTidak.\n\nKami menunggu tanggapan Anda: cukup balas email ini \
                dan tiket akan kami lanjutkan.";
    assert_eq!(reader(text, None, "RE: VPN", &[ours]).reply, text);
}

#[test]
fn announced_inline_answers_keep_the_quote_against_the_html() {
    let text = "Jawaban saya di bawah, warna biru.\n\nDari: Posko IT <helpdesk@corp.test>\n\
                Dikirim: Senin, 23 November 2026 10.15\nKepada: Budi\nPerihal: VPN\n\nProvider?\n\nBiznet.";
    let html = "<p>Jawaban saya di bawah, warna biru.</p><div style=\"border:none;border-top:solid #E1E1E1 1.0pt;\
                padding:3.0pt 0cm 0cm 0cm\"><p>Dari: Posko IT</p></div><p>Provider?</p><p>Biznet.</p>";
    assert_eq!(reader(text, Some(html), "RE: VPN", &[]).reply, text);
}

#[test]
fn the_html_quote_container_decides_when_the_text_does_not_know() {
    // A header in a language no table has: the text rules keep it all,
    // the HTML says where the quote starts.
    let text = "Aitäh, töötab nüüd.\n\nE, 23. nov 2026 kell 10:15 kirjutas Posko IT:\n\nHalo Budi";
    let html = "<div dir=\"ltr\">Aitäh, töötab nüüd.</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">\
                E, 23. nov 2026 kell 10:15 kirjutas Posko IT:</div><blockquote>Halo Budi</blockquote></div>";
    assert_eq!(reader(text, None, "Re: x", &[]).reply, text);
    let t = reader(text, Some(html), "Re: x", &[]);
    assert_eq!(t.reply, "Aitäh, töötab nüüd.");
    assert!(t.elided.contains("kirjutas Posko IT"), "{t:?}");
    // HTML only: the text is html2text's, and so is the reply.
    let only = crate::parse::html_to_text(html);
    assert_eq!(
        reader(&only, Some(html), "Re: x", &[]).reply,
        "Aitäh, töötab nüüd."
    );
}

#[test]
fn the_text_parts_layout_is_kept_where_it_words_links_differently() {
    let text = "Formulir sudah saya unggah: Formulir akses HRD<https://intranet.test/f/4412>\n\
                Mohon dicek hari ini.\n\nSalam,\nMaya\n\nDe : Posko IT <helpdesk@corp.test>\n\
                Envoyé : lundi 23 novembre 2026 10:15\nÀ : Maya\nObjet : Akses\n\nHalo Maya";
    let html = "<p>Formulir sudah saya unggah: <a href=\"https://intranet.test/f/4412\">Formulir akses HRD</a></p>\
                <p>Mohon dicek hari ini.</p><p>Salam,<br>Maya</p><div id=\"divRplyFwdMsg\">De : Posko IT</div>\
                <p>Halo Maya</p>";
    let t = reader(text, Some(html), "RE: Akses", &[]);
    assert_eq!(
        t.reply,
        "Formulir sudah saya unggah: Formulir akses HRD<https://intranet.test/f/4412>\n\
         Mohon dicek hari ini.\n\nSalam,\nMaya"
    );
}

#[test]
fn a_forward_is_kept_whole() {
    let text = "Tim IT, mohon dicek.\n\n---------- Pesan yang diteruskan ---------\nDari: Vendor <v@x.test>\n\
                Tanggal: Sen, 23 Nov 2026 pukul 10.15\nSubjek: Jadwal\nKepada: <budi@corp.test>\n\nTeknisi datang Kamis.";
    let t = reader(text, None, "Fwd: Jadwal", &[]);
    assert_eq!(t.reply, text);
    assert_eq!(t.elided, "");
    // The same text as a reply: the forwarded mail is set aside (the
    // Discourse convention, and what `trim` does).
    assert_eq!(
        reader(text, None, "Re: Jadwal", &[]).reply,
        "Tim IT, mohon dicek."
    );
}

#[test]
fn link_footnotes_follow_the_text_that_cites_them() {
    let text = "Lihat [formulir][1].\n\nPada Sen, 23 Nov 2026 pukul 10.15 Posko IT <helpdesk@corp.test> menulis:\n\n\
                > Halo [tautan][2]\n\n[1]: https://intranet.test/f\n[2]: https://posko.test/t";
    let t = trim(text);
    assert_eq!(
        t.reply,
        "Lihat [formulir][1].\n[1]: https://intranet.test/f"
    );
    assert!(t.elided.ends_with("[2]: https://posko.test/t"), "{t:?}");
}

#[test]
fn a_huge_reply_is_read_in_bounded_time_and_loses_nothing() {
    let line = "2026-11-24 09:00:00 INFO step finished without any error at all\n";
    let log = line.repeat(1024 * 1024 / line.len());
    let text = format!("Log terlampir:\n\n{log}\nMohon dicek.");
    let started = std::time::Instant::now();
    let t = reader(&text, None, "Re: x", &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(t.reply, text.trim());
    // A quote found in the part read sets aside what follows it, however long.
    let quoted = format!(
        "Oke.\n\nOn Mon, 23 Nov 2026 at 10:15, X <x@y.test> wrote:\n{}",
        "> q\n".repeat(300_000)
    );
    let t = reader(&quoted, None, "Re: x", &[]);
    assert_eq!(t.reply, "Oke.");
}

#[test]
fn many_rules_and_header_blocks_cost_bounded_time() {
    let rules = "Teks.\n\n".to_string() + &"-----\n\n".repeat(40_000);
    let block = "Dari: Posko IT <helpdesk@corp.test>\nDikirim: Senin, 23 November 2026 10.15\n\
                 Kepada: Budi\n\nTerima kasih, laporan Anda sudah kami terima dan dicatat.\n\n";
    let blocks = block.repeat(2_000);
    let started = std::time::Instant::now();
    let _ = reader(&rules, None, "Re: x", &[]);
    let _ = reader(&blocks, None, "Re: x", &[block]);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn hostile_html_and_history_cost_bounded_time() {
    let html = format!(
        "{}<div class=\"gmail_attr\">x</div>{}",
        "<div>a</div>".repeat(100_000),
        "<blockquote>".repeat(50_000)
    );
    let ours: Vec<String> = (0..100)
        .map(|i| format!("kalimat {i} ").repeat(20_000))
        .collect();
    let ours: Vec<&str> = ours.iter().map(String::as_str).collect();
    let text = "kalimat 1 ".repeat(50_000);
    let started = std::time::Instant::now();
    let _ = reader(&text, Some(&html), "Re: x", &ours);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

/// Lines that mail clients write, to build mail-like inputs from.
fn mail_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z ,.]{0,30}",
        "> [a-z ]{0,20}",
        Just(String::new()),
        Just("-- ".to_string()),
        Just("Sent from my iPhone".to_string()),
        Just("Dikirim dari iPhone saya".to_string()),
        Just("On Mon, 23 Nov 2026 at 10:15, Alice <a@b.test> wrote:".to_string()),
        Just("Pada Sen, 23 Nov 2026 pukul 10.15, Alice <".to_string()),
        Just("a@b.test> menulis:".to_string()),
        Just("Dari: Alice".to_string()),
        Just("Dikirim: Senin".to_string()),
        Just("Kepada: Budi".to_string()),
        Just("-----Pesan Asli-----".to_string()),
        Just("```".to_string()),
        Just("| quoted".to_string()),
    ]
}

fn check_reply_lines_come_from_input(input: &str) -> Result<(), TestCaseError> {
    let t = trim(input);
    prop_assert_eq!(t.reply.trim(), t.reply.as_str());
    prop_assert_eq!(t.elided.trim(), t.elided.as_str());
    for line in t.reply.lines().filter(|l| !l.trim().is_empty()) {
        prop_assert!(input.contains(line), "reply line {:?} not in input", line);
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        check_reply_lines_come_from_input(&input)?;
    }

    #[test]
    fn mail_like_inputs_keep_only_input_lines(
        lines in prop::collection::vec(mail_line(), 0..40),
        ending in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
    ) {
        check_reply_lines_come_from_input(&lines.join(ending))?;
    }
}
