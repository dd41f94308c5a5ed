//! `spawn_app()`: the real application on a random port against a fresh database — a new
//! SQLite file, or a new PostgreSQL database when SMEPROC_TEST_POSTGRES_URL names a server.

use chrono::{TimeZone, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::{Client, Method, Response};
use serde_json::{json, Value};
use smeproc::clock::ManualClock;
use smeproc::config::{DatabaseUrl, Settings};
use smeproc::db::DbPool;
use smeproc::service::accounts::{self, CreateOrgRequest, CreateUserRequest};
use smeproc::startup::Application;
use std::sync::Arc;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub clock: ManualClock,
    pub pool: DbPool,
    pub settings: Settings,
    /// Key shares collected at publication and not yet given: (lot, holder's token, share).
    pub shares: Arc<std::sync::Mutex<Vec<(String, String, String)>>>,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh, empty database for one test.
pub fn fresh_database() -> (DatabaseUrl, Option<tempfile::TempDir>) {
    match std::env::var("SMEPROC_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("smeproc_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin =
                PgConnection::establish(&admin_url).expect("connect to the test PostgreSQL server");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .expect("create database");
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b);
            (DatabaseUrl::Postgres(format!("{base}/{name}")), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            (DatabaseUrl::Sqlite(dir.path().join("test.db")), Some(dir))
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app after `adjust` has changed the settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (url, dir) = fresh_database();
    let dir = dir.unwrap_or_else(|| tempfile::tempdir().expect("temp dir"));
    let mut settings = Settings::defaults(url);
    settings.secret_key_file = dir.path().join("smeproc.key");
    settings.document_dir = dir.path().join("documents");
    // The folder store is tested on SQLite, the database store on PostgreSQL.
    if matches!(settings.database, DatabaseUrl::Postgres(_)) {
        settings.document_store = smeproc::config::DocumentStore::Database;
    }
    settings.pool_size = 4;
    // A few encapsulations ahead per lot: the tests publish hundreds of lots.
    settings.seal_ahead = 4;
    settings
        .limits
        .apply("login_address=1000/900")
        .expect("limits");
    adjust(&mut settings);
    let clock = ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 2, 0, 0)
            .single()
            .expect("time"),
    );
    let app = Application::build(
        settings.clone(),
        "127.0.0.1:0",
        Some(1),
        Arc::new(clock.clone()),
    )
    .expect("build the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let pool = app.pool().clone();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: Client::new(),
        clock,
        pool,
        settings,
        shares: Default::default(),
        _dir: Some(dir),
    }
}

impl TestApp {
    /// A second instance of the service on the same database, clock and secret key (as behind a
    /// load balancer).
    pub async fn second_instance(&self) -> TestApp {
        let app = Application::build(
            self.settings.clone(),
            "127.0.0.1:0",
            Some(1),
            Arc::new(self.clock.clone()),
        )
        .expect("build the second instance");
        let address = format!("http://127.0.0.1:{}", app.port());
        let pool = app.pool().clone();
        actix_web::rt::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: Client::new(),
            clock: self.clock.clone(),
            pool,
            settings: self.settings.clone(),
            shares: self.shares.clone(),
            _dir: None,
        }
    }

    /// Publishes a draft (200 expected) and collects, as its publisher (the sole holder when no
    /// key plan is named), its share of every lot, kept for [`Self::open_lots`].
    pub async fn publish(&self, project: &str, token: &str) -> Value {
        let res = self
            .post(
                &format!("/api/v1/projects/{project}/publish"),
                Some(token),
                &json!({}),
            )
            .await;
        let published = json_of(res, 200).await;
        for lot in published["lots"].as_array().unwrap() {
            self.collect(lot["id"].as_str().unwrap(), token).await;
        }
        published
    }

    /// Collects a holder's share of a lot and keeps it for [`Self::open_lots`].
    pub async fn collect(&self, lot: &str, token: &str) -> String {
        let res = self
            .post(
                &format!("/api/v1/lots/{lot}/key-share"),
                Some(token),
                &json!({}),
            )
            .await;
        let share = json_of(res, 200).await["share"]
            .as_str()
            .unwrap()
            .to_string();
        self.shares
            .lock()
            .unwrap()
            .push((lot.to_string(), token.to_string(), share.clone()));
        share
    }

    /// Gives every kept share (the opening time must have come): the lots open.
    pub async fn open_lots(&self) {
        let pending: Vec<_> = std::mem::take(&mut *self.shares.lock().unwrap());
        for (lot, token, share) in pending {
            let res = self
                .post(
                    &format!("/api/v1/lots/{lot}/opening/shares"),
                    Some(&token),
                    &json!({ "share": share }),
                )
                .await;
            let view = json_of(res, 200).await;
            assert!(
                view["opened_at"].is_string(),
                "lot {lot} not opened: {view}"
            );
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a request with an optional token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.send(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send(Method::PATCH, path, token, Some(body)).await
    }

    /// Creates an agency organisation directly through the service layer.
    pub fn create_agency(&self, name: &str) -> String {
        let mut conn = self.pool.get().expect("connection");
        let req = CreateOrgRequest {
            kind: "agency".into(),
            name: name.into(),
            credit_code: None,
            region: Some("650100".into()),
            parent_id: None,
            ..Default::default()
        };
        accounts::create_org(&mut conn, &self.clock, smeproc::service::audit::CLI, &req)
            .expect("create agency")
            .id
    }

    /// Registers an enterprise directly through the service layer; returns its id.
    pub fn create_enterprise(&self, name: &str) -> String {
        let mut conn = self.pool.get().expect("connection");
        let input = smeproc::service::registry::EnterpriseInput {
            credit_code: Some(credit_code("653101")),
            name: Some(name.into()),
            industry: Some("software".into()),
            employees: Some(50),
            revenue_wan: Some("800".into()),
            ..Default::default()
        };
        smeproc::service::registry::register(
            &mut conn,
            &self.clock,
            smeproc::service::audit::CLI,
            &input,
        )
        .expect("register")
        .id
    }

    /// Registers a software firm of `scale` in `region`; returns (id, credit code).
    pub fn create_firm(&self, name: &str, region: &str, scale: &str) -> (String, String) {
        let (employees, revenue) = match scale {
            "micro" => (5, "30"),
            "small" => (50, "800"),
            "medium" => (200, "5000"),
            _ => (500, "20000"),
        };
        let code = credit_code(region);
        let mut conn = self.pool.get().expect("connection");
        let input = smeproc::service::registry::EnterpriseInput {
            credit_code: Some(code.clone()),
            name: Some(name.into()),
            industry: Some("software".into()),
            employees: Some(employees),
            revenue_wan: Some(revenue.into()),
            region: Some(region.into()),
            ..Default::default()
        };
        let view = smeproc::service::registry::register(
            &mut conn,
            &self.clock,
            smeproc::service::audit::CLI,
            &input,
        )
        .expect("register");
        assert_eq!(view.scale, scale, "the figures give the intended scale");
        (view.id, code)
    }

    /// A supplier account bound to the enterprise with this credit code, and its token.
    pub async fn supplier_token(&self, credit_code: &str) -> String {
        let username = format!("supplier-{}", uuid::Uuid::new_v4().simple());
        {
            let mut conn = self.pool.get().expect("connection");
            let req = CreateUserRequest {
                username: username.clone(),
                display_name: None,
                role: "supplier".into(),
                password: PASSWORD.into(),
                agency_id: None,
                enterprise_credit_code: Some(credit_code.into()),
            };
            accounts::create_user(&mut conn, &self.clock, smeproc::service::audit::CLI, &req)
                .expect("create supplier");
        }
        self.token(&username).await
    }

    /// An agency account of a new agency: (agency id, token).
    pub async fn agency_token(&self) -> (String, String) {
        let username = format!("agency-{}", uuid::Uuid::new_v4().simple());
        let id = self.create_user(&username, "agency");
        let mut conn = self.pool.get().expect("connection");
        let user = smeproc::db::users::find_by_id(&mut conn, &id)
            .unwrap()
            .unwrap();
        drop(conn);
        (user.agency_id.unwrap(), self.token(&username).await)
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send(Method::PUT, path, token, Some(body)).await
    }

    /// Creates a user directly through the service layer (agency users get a new agency,
    /// suppliers a new enterprise).
    pub fn create_user(&self, username: &str, role: &str) -> String {
        let agency_id =
            (role == "agency").then(|| self.create_agency(&format!("agency of {username}")));
        let enterprise_credit_code = (role == "supplier").then(|| {
            let id = self.create_enterprise(&format!("企业 {username}"));
            let mut conn = self.pool.get().expect("connection");
            smeproc::db::enterprises::find_by_id(&mut conn, &id)
                .unwrap()
                .unwrap()
                .credit_code
        });
        let mut conn = self.pool.get().expect("connection");
        let req = CreateUserRequest {
            username: username.into(),
            display_name: None,
            role: role.into(),
            password: PASSWORD.into(),
            agency_id,
            enterprise_credit_code,
        };
        accounts::create_user(&mut conn, &self.clock, smeproc::service::audit::CLI, &req)
            .expect("create user")
            .id
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// Logs in and returns the token.
    pub async fn token(&self, username: &str) -> String {
        let res = self.login(username, PASSWORD).await;
        assert_eq!(res.status(), 200, "login of {username}");
        let body: Value = res.json().await.expect("json");
        body["token"].as_str().expect("token").to_string()
    }

    /// A user of `role` and a token for it.
    pub async fn user_with_token(&self, role: &str) -> (String, String) {
        let username = format!("{role}-{}", uuid::Uuid::new_v4().simple());
        let id = self.create_user(&username, role);
        (id, self.token(&username).await)
    }
}

/// A fresh, valid credit code registered in `region` (six digits).
pub fn credit_code(region: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let serial = NEXT.fetch_add(1, Ordering::Relaxed) + std::process::id() % 1000 * 100_000;
    smeproc::domain::credit_code::with_check_character(&format!("91{region}{serial:09}"))
        .expect("valid prefix")
}

/// The body as JSON, asserting it is a problem document with that status.
pub async fn problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status"], status);
    assert!(body["type"]
        .as_str()
        .is_some_and(|t| t.starts_with("urn:smeproc:problem:")));
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}

/// The `field`s named in a validation problem.
pub fn problem_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errs| {
            errs.iter()
                .filter_map(|e| e["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The JSON body of a response that must have `status` (the body is shown when it has not).
pub async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(code, status, "{text}");
    serde_json::from_str(&text).unwrap()
}
