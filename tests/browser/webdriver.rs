//! A small W3C WebDriver client over reqwest: enough to drive Debian's headless Chromium through
//! chromedriver (start a session, navigate, find, type, click, read, screenshot).

use reqwest::Client;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver on a free loopback port, stopped on drop.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub async fn start() -> Driver {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the browser tests need Debian's chromium and chromium-driver: \
             apt-get install -y chromium chromium-driver (scripts/test does it)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let client = Client::new();
        for _ in 0..100 {
            if client
                .get(format!("{url}/status"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Driver { child, url };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("chromedriver did not start on port {port}");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session.
pub struct Browser {
    client: Client,
    base: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn open(driver: &Driver) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let client = Client::new();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--window-size=1280,1000", "--lang=zh-CN",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let res: Value = client
            .post(format!("{}/session", driver.url))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session json");
        let id = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {res}"))
            .to_string();
        Browser {
            client,
            base: format!("{}/session/{id}", driver.url),
            _profile: profile,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res: Value = req
            .send()
            .await
            .expect("webdriver request")
            .json()
            .await
            .expect("webdriver json");
        if res["value"].get("error").is_some() {
            panic!("webdriver {path}: {}", res["value"]);
        }
        res["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The element matching a CSS selector (waits up to 5 s for it to appear).
    pub async fn find(&self, css: &str) -> String {
        for _ in 0..50 {
            let res: Value = self
                .client
                .post(format!("{}/element", self.base))
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .await
                .expect("find")
                .json()
                .await
                .expect("find json");
            if let Some(id) = res["value"][ELEMENT].as_str() {
                return id.to_string();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no element {css} on {}\n{}",
            self.url().await,
            self.text().await
        );
    }

    pub async fn count(&self, css: &str) -> usize {
        self.call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .await
        .as_array()
        .map_or(0, Vec::len)
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Types into every element matching `css`, the i-th gets `value(i)`.
    pub async fn fill_all(&self, css: &str, value: impl Fn(usize) -> String) {
        let found = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        for (i, e) in found.as_array().into_iter().flatten().enumerate() {
            let id = e[ELEMENT].as_str().unwrap_or_default();
            self.call(
                reqwest::Method::POST,
                &format!("/element/{id}/clear"),
                Some(json!({})),
            )
            .await;
            self.call(
                reqwest::Method::POST,
                &format!("/element/{id}/value"),
                Some(json!({ "text": value(i) })),
            )
            .await;
        }
    }

    /// A cookie the browser holds for the current page (HttpOnly ones included).
    pub async fn cookie(&self, name: &str) -> Value {
        self.call(reqwest::Method::GET, &format!("/cookie/{name}"), None)
            .await
    }

    /// Types into a file input: the browser uploads that file with the form.
    pub async fn attach(&self, css: &str, path: &std::path::Path) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({ "text": path.display().to_string() })),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Marks the current document, so that [`Browser::wait_for_new_page`] can tell when the
    /// next one has loaded.
    pub async fn mark_page(&self) {
        self.script("window.__smeprocOld = true; return true").await;
    }

    /// Waits (up to 10 s) until the marked document is replaced and the new one has loaded.
    pub async fn wait_for_new_page(&self) {
        for _ in 0..200 {
            let done = self
                .script("return !window.__smeprocOld && document.readyState === 'complete'")
                .await;
            if done == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page loaded after 10 s: {}", self.url().await);
    }

    /// Clicks what leads to another page (a link or a submit button) and waits for it.
    pub async fn click_through(&self, css: &str) {
        self.mark_page().await;
        self.click(css).await;
        self.wait_for_new_page().await;
    }

    /// The text a person sees on the page.
    pub async fn text(&self) -> String {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "return document.body.innerText", "args": []})),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    pub async fn script(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Saves a PNG of the window when SMEPROC_SCREENSHOTS names a folder.
    pub async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("SMEPROC_SCREENSHOTS") else {
            return;
        };
        let data = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64_decode(data.as_str().unwrap_or_default());
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png)
            .expect("write screenshot");
    }

    pub async fn close(self) {
        let _ = self.client.delete(&self.base).send().await;
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
