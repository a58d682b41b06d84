//! The survey page in a real headless browser (Debian's chromium and
//! chromium-driver, through WebDriver): the link taken from the
//! resolution mail as it arrived in Alice's IMAP inbox, ratings picked,
//! a suggestion typed, the form submitted, the ticket checked. One
//! browser session per test. Screenshots of the page in Indonesian and
//! English are kept as `target/artifacts/survey-{id,en}-{backend}.png`.

use std::process::{Child, Command, Stdio};

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use super::*;
use crate::both;
use crate::harness::posko::free_port;

/// chromedriver on a free loopback port, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver() -> Driver {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian: chromium-driver; scripts/setup.sh installs it)");
    let d = Driver { child, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on {port}");
}

fn artifacts() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artifacts");
    std::fs::create_dir_all(&dir).expect("target/artifacts");
    dir
}

async fn survey_in_a_browser(backend: Backend) {
    let stack = MailStack::start().await;
    let mut posko = desk_with(backend, &stack, "").await;
    let r = resolve(&stack, &posko, "Internet lambat di gedung B", 1).await;
    let r_en = resolve(&stack, &posko, "Internet down in building C", 2).await;
    // Its survey was sent in English (the pages follow the survey's language).
    posko
        .sql(&format!(
            "UPDATE surveys SET language = 'en' WHERE ticket_id = {}",
            r_en.id
        ))
        .await;
    serve(&mut posko).await;
    let d = driver().await;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--window-size=480,2600", "--lang=id"] }),
    );
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", d.port))
        .await
        .expect("a WebDriver session");
    let base = format!("http://127.0.0.1:{}", posko.web_port);
    let tag = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };

    // English first: a screenshot, nothing submitted.
    client
        .goto(&format!("{base}{}", r_en.links.ratings[4]))
        .await
        .unwrap();
    let title = client.title().await.unwrap();
    assert!(title.contains("Satisfaction survey"), "{title}");
    let shot = client.screenshot().await.unwrap();
    std::fs::write(artifacts().join(format!("survey-en-{tag}.png")), shot).unwrap();

    // Alice clicks "4" in the mail, then fills in the rest.
    client
        .goto(&format!("{base}{}", r.links.ratings[3]))
        .await
        .unwrap();
    let checked = client
        .find(Locator::Css("input[name=overall][value='4']"))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(checked.as_deref(), Some("true"));
    let shot = client.screenshot().await.unwrap();
    std::fs::write(artifacts().join(format!("survey-id-{tag}.png")), shot).unwrap();
    for (i, key) in posko::survey::DEFAULT_KEYS.iter().enumerate() {
        if *key == "overall" {
            continue;
        }
        let value = if i % 2 == 0 { 5 } else { 4 };
        client
            .find(Locator::Css(&format!("input[name={key}][value='{value}']")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    client
        .find(Locator::Id("comment"))
        .await
        .unwrap()
        .send_keys("Terima kasih, cepat sekali!")
        .await
        .unwrap();
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The click returns before the answer page has loaded.
    for _ in 0..100 {
        if client.title().await.unwrap().contains("Terima kasih") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let thanks = client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        thanks.contains("Jawaban Anda sudah kami terima"),
        "{thanks}"
    );
    client.close().await.unwrap();

    let t = posko.ticket(r.id);
    assert_eq!(t["survey"]["ratings"]["overall"], 4, "{t:#}");
    assert_eq!(t["survey"]["ratings"]["reporting"], 5);
    assert_eq!(t["survey"]["ratings"]["speed"], 4);
    assert_eq!(t["survey"]["comment"], "Terima kasih, cepat sekali!");
    assert_eq!(posko.ticket(r_en.id)["survey"]["answered_at"], Value::Null);
}
both!(survey_in_a_browser);
