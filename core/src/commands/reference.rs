//! The command reference staff receive (`#help`), and the README's table.

use super::*;

/// One line of the reference: usage, then English and Indonesian.
pub(super) const REFERENCE: &[(&str, &str, &str)] = &[
    (
        "#status:<status>",
        "set the status: new, in_progress, pending, resolved, closed",
        "ubah status: baru, proses, tunda, selesai, tutup (buka = buka kembali)",
    ),
    (
        "#assign:me | #assign:<handle>",
        "assign the ticket to yourself or to a colleague",
        "tugaskan tiket ke Anda sendiri (me/saya) atau ke rekan",
    ),
    (
        "#internal",
        "your text becomes an internal note; the requester never sees it",
        "teks Anda menjadi catatan internal; pelapor tidak melihatnya",
    ),
    (
        "#pending",
        "wait for the requester; their next mail resumes work",
        "menunggu pelapor; balasan berikutnya melanjutkan tiket",
    ),
    (
        "#resolve",
        "resolve; your text is the resolution note to the requester",
        "selesaikan; teks Anda menjadi catatan penyelesaian untuk pelapor",
    ),
    ("#close", "close the ticket", "tutup tiket"),
    ("#reopen", "reopen the ticket", "buka kembali tiket"),
    (
        "#escalate | #escalate:<group>",
        "hand over to the next level (L1 → L2 → L3) or to a group; your text is the reason",
        "eskalasi ke level berikutnya (L1 → L2 → L3) atau ke grup; teks Anda adalah alasannya",
    ),
    (
        "#priority:<n>",
        "set the priority (1 is highest)",
        "ubah prioritas (1 tertinggi)",
    ),
    (
        "#urgency:high|medium|low",
        "set the urgency",
        "ubah urgensi: tinggi, sedang, rendah",
    ),
    (
        "#impact:high|medium|low",
        "set the impact",
        "ubah dampak: tinggi, sedang, rendah",
    ),
    (
        "#category:<key>",
        "set the category, e.g. network.internet-slow",
        "ubah kategori, mis. network.internet-slow",
    ),
    (
        "#type:<type>",
        "set the type: incident, request, access, change, security",
        "ubah jenis: insiden, permintaan, akses, perubahan, keamanan",
    ),
    (
        "#cc:<address>",
        "add a watcher who gets public replies",
        "tambahkan pemantau yang menerima balasan publik",
    ),
    (
        "#merge:<n>",
        "merge this ticket into ticket n; the requester is told",
        "gabungkan tiket ini ke tiket n; pelapor diberi tahu",
    ),
    (
        "#requester:<address>",
        "open the ticket on someone's behalf (e.g. a phone call)",
        "buka tiket atas nama orang lain (mis. dari telepon)",
    ),
    (
        "#lang:en | #lang:id",
        "answer the requester in English or Indonesian from now on",
        "balas pelapor dalam bahasa Inggris atau Indonesia mulai sekarang",
    ),
    (
        "#show",
        "mail yourself the ticket's whole record: messages, events, SLA clocks, survey",
        "kirim ke Anda seluruh catatan tiket: pesan, kejadian, jam SLA, survei",
    ),
    (
        "#help",
        "mail back this reference",
        "kirim kembali daftar perintah ini",
    ),
];

/// The command reference mailed back for `#help`.
pub fn help_text(lang: Language) -> String {
    let (intro, outro) = match lang {
        Language::En => (
            "Commands go in the subject after the ticket tag, or alone on the first \
             lines of your reply. Names and values are case-insensitive; several \
             commands apply together, and none applies if one is wrong.",
            "Example: Re: [Helpdesk #17] Internet lambat #assign:me #status:in_progress",
        ),
        Language::Id => (
            "Tulis perintah di subjek setelah tanda tiket, atau sendiri di baris-baris \
             pertama balasan Anda. Huruf besar/kecil tidak berpengaruh; beberapa \
             perintah berlaku bersama, dan tidak ada yang berlaku bila satu salah.",
            "Contoh: Re: [Helpdesk #17] Internet lambat #assign:me #status:proses",
        ),
    };
    let width = REFERENCE
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("{intro}\n\n");
    for (usage, en, id) in REFERENCE {
        let text = match lang {
            Language::En => en,
            Language::Id => id,
        };
        out.push_str(&format!("  {usage:<width$}  {text}\n"));
    }
    out.push_str(&format!("\n{outro}\n"));
    out
}

/// The staff quick reference as a Markdown table, for the README.
pub fn markdown_table() -> String {
    let mut out = String::from("| command | what it does |\n|---|---|\n");
    for (usage, en, _) in REFERENCE {
        out.push_str(&format!("| `{}` | {en} |\n", usage.replace('|', "\\|")));
    }
    out
}
