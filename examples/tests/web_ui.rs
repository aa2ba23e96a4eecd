//! The Web UI in a real headless Chromium (Debian's `chromium` and `chromium-driver`, which
//! `scripts/browser` installs), driven over WebDriver as a user would click through it: the
//! overview of a cluster, a job binary submitted from the page, its graph with the plan's
//! nodes, a slow sink showing HIGH back-pressure on the vertex before it, a cancel from the
//! page, the TaskManagers and the job list. Screenshots of each page are kept in
//! `target/tmp/web-ui/` (the README shows two).

mod processes;

use fantoccini::{Client, ClientBuilder, Locator};
use processes::{rill_bin, text};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A cluster of the test's own, stopped when dropped.
struct Cluster {
    home: tempfile::TempDir,
}

impl Cluster {
    fn start(taskmanagers: usize, slots: usize) -> Cluster {
        let cluster = Cluster { home: tempfile::tempdir().unwrap() };
        let (tms, slots) = (taskmanagers.to_string(), slots.to_string());
        let out = cluster.rill(&[
            "cluster",
            "start",
            "--taskmanagers",
            &tms,
            "--slots",
            &slots,
            "--rest-address",
            "127.0.0.1:0",
            "--rpc-address",
            "127.0.0.1:0",
        ]);
        assert!(out.status.success(), "cluster start: {}", text(&out.stderr));
        cluster
    }

    fn rill(&self, args: &[&str]) -> std::process::Output {
        Command::new(rill_bin()).args(args).env("RILL_HOME", self.home.path()).output().unwrap()
    }

    fn rest(&self) -> String {
        let text = std::fs::read_to_string(self.home.path().join("jobmanager.addr")).unwrap();
        text.lines().find_map(|l| l.strip_prefix("rest ")).unwrap().to_owned()
    }

    fn token(&self) -> String {
        std::fs::read_to_string(self.home.path().join("token")).unwrap().trim().to_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.rill(&["cluster", "stop"]);
    }
}

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let out = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/browser")).output().unwrap();
        assert!(out.status.success(), "scripts/browser could not provide chromedriver: {}", text(&out.stderr));
        let chromedriver = text(&out.stdout).trim().to_owned();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{chromedriver} does not start: {e}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver does not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }
}

impl Driver {
    /// A headless Chromium session, its window large enough for the job's page.
    async fn session(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"] }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a headless Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-ui");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

/// Waits until `check` holds, re-reading the page; `what` names it if it never does.
async fn until<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn texts(browser: &Client, css: &str) -> Vec<String> {
    let mut all = Vec::new();
    for e in browser.find_all(Locator::Css(css)).await.unwrap_or_default() {
        all.push(e.text().await.unwrap_or_default());
    }
    all
}

async fn attrs(browser: &Client, css: &str, attr: &str) -> Vec<String> {
    let mut all = Vec::new();
    for e in browser.find_all(Locator::Css(css)).await.unwrap_or_default() {
        all.extend(e.attr(attr).await.ok().flatten());
    }
    all
}

#[test]
fn the_web_ui_shows_the_cluster_submits_a_job_shows_its_backpressure_and_cancels_it() {
    let cluster = Cluster::start(2, 2);
    let driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let browser = driver.session().await;
        let base = format!("http://{}", cluster.rest());

        // The overview, reached with the token in the fragment (kept by the page, never sent).
        browser.goto(&format!("{base}/#/overview&token={}", cluster.token())).await.unwrap();
        until("the overview's TaskManagers", Duration::from_secs(20), || async {
            texts(&browser, "#card-taskmanagers .n").await == ["2"]
        })
        .await;
        assert_eq!(texts(&browser, "#card-slots .n").await, ["4 / 4"]);
        assert_eq!(texts(&browser, "#token-state").await, ["token set"]);
        screenshot(&browser, "overview").await;

        // Submit the slow sink from the page: it runs, and the page is its job's.
        browser.goto(&format!("{base}/#/submit")).await.unwrap();
        let input = browser.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#binary")).await.unwrap();
        input.send_keys(env!("CARGO_BIN_EXE_slow_sink")).await.unwrap();
        let parallelism = browser.find(Locator::Css("#parallelism")).await.unwrap();
        parallelism.clear().await.unwrap();
        parallelism.send_keys("2").await.unwrap();
        browser.find(Locator::Css("#args")).await.unwrap().send_keys("--sink-delay-us 300").await.unwrap();
        browser.find(Locator::Css("#run")).await.unwrap().click().await.unwrap();
        until("the job's page", Duration::from_secs(60), || async {
            browser.current_url().await.is_ok_and(|u| u.fragment().is_some_and(|f| f.starts_with("/jobs/")))
        })
        .await;
        let url = browser.current_url().await.unwrap();
        let id = url.fragment().unwrap().trim_start_matches("/jobs/").to_owned();
        until("the job's name", Duration::from_secs(20), || async {
            texts(&browser, "#job-name").await.first().is_some_and(|t| t.starts_with("slow_sink"))
        })
        .await;

        // Its graph has the plan's nodes; the vertex before the slow sink turns HIGH.
        let plan = Command::new(env!("CARGO_BIN_EXE_slow_sink")).args(["--plan", "-p", "2"]).output().unwrap();
        let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
        let chains = plan["chains"].as_array().unwrap();
        let sink = &chains.iter().find(|c| c["name"].as_str().unwrap().starts_with("Sink")).unwrap()["id"];
        let edges = plan["edges"].as_array().unwrap();
        let before = edges.iter().find(|e| e["target"] == *sink).unwrap()["source"].to_string();
        let sink = sink.to_string();
        until("the graph", Duration::from_secs(20), || async {
            attrs(&browser, "svg#graph g.vertex", "data-vertex").await.len() == chains.len()
        })
        .await;
        until("HIGH back-pressure before the sink", Duration::from_secs(30), || async {
            attrs(&browser, &format!("svg#graph g.vertex[data-vertex=\"{before}\"]"), "data-backpressure").await
                == ["high"]
        })
        .await;
        let sink_level =
            attrs(&browser, &format!("svg#graph g.vertex[data-vertex=\"{sink}\"]"), "data-backpressure").await;
        assert_eq!(sink_level, ["ok"], "the slow sink itself is busy, not back-pressured");
        let rows = texts(&browser, "#vertices tr.vertex-row td.bp").await;
        assert!(rows.contains(&"HIGH".to_owned()), "{rows:?}");
        // Its source is a sequence, which knows its size: the node says how much is read.
        let source = chains.iter().map(|c| &c["id"]).find(|id| edges.iter().all(|e| e["target"] != **id));
        let read =
            texts(&browser, &format!("svg#graph g.vertex[data-vertex=\"{}\"] tspan.input-read", source.unwrap())).await;
        assert!(read.len() == 1 && read[0].ends_with(" % read"), "{read:?}");
        screenshot(&browser, "job").await;

        // The TaskManagers and the job list.
        browser.goto(&format!("{base}/#/taskmanagers")).await.unwrap();
        until("both TaskManagers", Duration::from_secs(10), || async {
            texts(&browser, "#taskmanagers tr.tm-row").await.len() == 2
        })
        .await;
        let memory = texts(&browser, "#taskmanagers tr.tm-row td:nth-child(5)").await;
        assert!(memory.iter().all(|m| m.ends_with("MiB")), "{memory:?}");
        screenshot(&browser, "taskmanagers").await;
        browser.goto(&format!("{base}/#/jobs")).await.unwrap();
        until("the job in the list", Duration::from_secs(10), || async {
            attrs(&browser, "#jobs tr.job-row", "data-id").await.contains(&id)
        })
        .await;
        screenshot(&browser, "jobs").await;

        // Cancel from the job's page: the job is CANCELED.
        browser.goto(&format!("{base}/#/jobs/{id}")).await.unwrap();
        let cancel =
            browser.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#cancel")).await.unwrap();
        cancel.click().await.unwrap();
        until("the cancelled job", Duration::from_secs(30), || async {
            texts(&browser, "#job-name .state").await == ["CANCELED"]
        })
        .await;
        let listed = text(&cluster.rill(&["list", "-a"]).stdout);
        assert!(listed.contains(&format!("{id} : slow_sink (CANCELED)")), "{listed}");
        screenshot(&browser, "job-cancelled").await;
        browser.close().await.unwrap();
    });
    for page in ["overview", "job", "taskmanagers", "jobs", "job-cancelled"] {
        let png = std::fs::read(screenshots().join(format!("{page}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{page}.png is a screenshot");
    }
}

#[test]
fn a_job_run_alone_with_web_ui_shows_its_graph_and_backpressure() {
    use std::io::BufRead;
    let mut job = Command::new(env!("CARGO_BIN_EXE_slow_sink"))
        .args(["-p", "1", "--web-ui", "0", "--", "--sink-delay-us", "300"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(job.stderr.take().unwrap());
    let mut line = String::new();
    let base = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the job ended without serving its Web UI");
        if let Some(rest) = line.strip_prefix("Web UI at ") {
            break rest.split_whitespace().next().unwrap().trim_end_matches('/').to_owned();
        }
    };
    let driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let browser = driver.session().await;
        browser.goto(&format!("{base}/#/jobs")).await.unwrap();
        let link =
            browser.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("#jobs tr.job-row a")).await;
        link.unwrap().click().await.unwrap();
        until("HIGH back-pressure before the sink", Duration::from_secs(30), || async {
            attrs(&browser, "svg#graph g.vertex[data-vertex=\"0\"]", "data-backpressure").await == ["high"]
        })
        .await;
        assert_eq!(attrs(&browser, "svg#graph g.vertex", "data-vertex").await, ["0", "1"]);
        screenshot(&browser, "job-alone").await;
        // A job alone is stopped where it runs: its page says how, in place of the buttons,
        // and still does after the page has redrawn itself.
        for _ in 0..2 {
            until("how to stop it", Duration::from_secs(10), || async {
                texts(&browser, "#stopped-where-it-runs")
                    .await
                    .first()
                    .is_some_and(|t| t.contains("stopped with Ctrl-C"))
            })
            .await;
            assert!(browser.find_all(Locator::Css("#cancel")).await.unwrap().is_empty(), "no Cancel button");
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
        browser.close().await.unwrap();
    });
    // A cancel sent anyway, as the cluster's page would send it, is refused with the same words.
    let (status, body) = patch(&base, "/jobs/any?mode=cancel");
    assert!(status.contains("405"), "{status}");
    assert!(body.contains("stopped with Ctrl-C"), "{body}");
    assert!(job.try_wait().unwrap().is_none(), "the job runs on");
    let _ = job.kill();
    let _ = job.wait();
}

/// Sends `PATCH path` to the Web UI at `base` (`http://host:port`); its status line and body.
fn patch(base: &str, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let address = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.lines().next().unwrap_or_default().to_owned(), body.to_owned())
}
