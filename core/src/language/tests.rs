use super::*;

const EN: &str = "Hello team, my laptop will not connect to the office Wi-Fi since this \
                  morning. I have restarted it twice and the problem is still there.";
const ID: &str = "Halo tim IT, laptop saya tidak bisa terhubung ke Wi-Fi kantor sejak tadi \
                  pagi. Saya sudah mencoba restart dua kali tetapi masalahnya masih ada.";

#[test]
fn content_language_wins_over_the_text() {
    assert_eq!(
        from_mail(Some("en-US"), ID),
        FromMail::Says(Language::En, Basis::ContentLanguage)
    );
    assert_eq!(
        from_mail(Some("id-ID, en"), EN),
        FromMail::Says(Language::Id, Basis::ContentLanguage)
    );
    // Indonesian's old code.
    assert_eq!(
        from_mail(Some("in"), EN),
        FromMail::Says(Language::Id, Basis::ContentLanguage)
    );
    assert_eq!(
        from_mail(Some("fr-FR"), EN),
        FromMail::Other(Basis::ContentLanguage)
    );
}

#[test]
fn long_enough_text_is_detected() {
    assert_eq!(
        from_mail(None, EN),
        FromMail::Says(Language::En, Basis::Text)
    );
    assert_eq!(
        from_mail(Some(" "), ID),
        FromMail::Says(Language::Id, Basis::Text)
    );
    let fr = "Bonjour, mon ordinateur portable ne se connecte plus au réseau du bureau \
              depuis ce matin, pouvez-vous m'aider s'il vous plaît ?";
    assert_eq!(from_mail(None, fr), FromMail::Other(Basis::Text));
}

#[test]
fn short_text_is_unsure() {
    for t in [
        "ok thanks",
        "Noted, terima kasih",
        "",
        "👍",
        "sudah bisa, thanks banyak ya pak",
    ] {
        assert_eq!(from_mail(None, t), FromMail::Unsure, "{t:?}");
        assert!(needs_earlier(None, t));
    }
    // Content-Language says it even for two words.
    assert!(!needs_earlier(Some("en"), "ok thanks"));
    assert!(!needs_earlier(None, EN));
}

#[test]
fn only_the_head_of_a_long_text_is_read() {
    // English first, then a long Indonesian log: the head decides.
    let text = format!("{}\n{}", EN.repeat(15), ID.repeat(200));
    assert_eq!(detect(&text), FromMail::Says(Language::En, Basis::Text));
}

#[test]
fn decide_falls_back_to_earlier_then_desk() {
    let d = decide(FromMail::Unsure, Some(Language::En), Language::Id);
    assert_eq!((d.language, d.basis), (Language::En, Basis::Earlier));
    assert_eq!(d.stored(), Some(Language::En));
    let d = decide(FromMail::Unsure, None, Language::Id);
    assert_eq!((d.language, d.basis), (Language::Id, Basis::Desk));
    assert_eq!(d.stored(), None);
    // A language we do not write: the desk's, not the earlier ticket's.
    let d = decide(
        FromMail::Other(Basis::Text),
        Some(Language::En),
        Language::Id,
    );
    assert_eq!(d.language, Language::Id);
    let d = decide(
        FromMail::Says(Language::En, Basis::Text),
        Some(Language::Id),
        Language::Id,
    );
    assert_eq!((d.language, d.basis), (Language::En, Basis::Text));
}

#[test]
fn function_words_decide_the_common_case_and_whatlang_the_rest() {
    assert_eq!(by_function_words(EN), Some(Language::En));
    assert_eq!(by_function_words(ID), Some(Language::Id));
    // French has few of either: left to whatlang, which says French.
    let fr = "Bonjour, mon ordinateur portable ne se connecte plus au réseau du bureau \
              depuis ce matin, pouvez-vous m'aider s'il vous plaît ?";
    assert_eq!(by_function_words(fr), None);
    // Mixed: whichever language leads clearly, else whatlang's guess.
    let mixed = "Halo tim IT, saya tidak bisa login. This started after the update \
                 and it happens every time. Mohon bantuannya karena pekerjaan saya \
                 jadi terhambat dan belum ada perubahan sejak tadi pagi.";
    assert_eq!(detect(mixed), FromMail::Says(Language::Id, Basis::Text));
}
