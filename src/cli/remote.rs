//! The CLI as a client of a running server (`smeproc bid submit`, `smeproc opening …`): the
//! server's address and a bearer token (`smeproc` never asks the database for these commands).
//! HTTPS with rustls and the Mozilla roots; the token is read from a file or the environment,
//! never from the command line (where `ps` shows it), and never printed.

use super::CliError;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// The server, e.g. https://smeproc.example.gov.cn (its /api/v1 is called).
    #[arg(long, env = "SMEPROC_SERVER")]
    pub server: String,
    /// A file holding the bearer token (from POST /api/v1/auth/login); else SMEPROC_TOKEN.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
}

pub struct Remote {
    base: String,
    token: String,
    client: reqwest::blocking::Client,
}

impl Remote {
    pub fn new(args: &RemoteArgs) -> Result<Remote, CliError> {
        let token = match &args.token_file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| CliError::invalid(format!("--token-file {}: {e}", path.display())))?,
            None => std::env::var("SMEPROC_TOKEN").map_err(|_| {
                CliError::invalid("no token: give --token-file or set SMEPROC_TOKEN")
            })?,
        };
        let token = token.trim().to_string();
        if token.is_empty() {
            return Err(CliError::invalid("the token is empty"));
        }
        let base = args.server.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(CliError::invalid(format!(
                "--server {base}: expected an http(s):// address"
            )));
        }
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(30 * 60))
            .build()
            .map_err(|e| CliError::Other(anyhow::anyhow!("starting the HTTP client: {e}")))?;
        Ok(Remote {
            base,
            token,
            client,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// POSTs JSON; the answer's JSON, or the server's problem as the command's error.
    pub fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, CliError> {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send();
        answer(res)
    }

    /// POSTs a multipart form (files stream from disk).
    pub fn post_multipart(
        &self,
        path: &str,
        form: reqwest::blocking::multipart::Form,
    ) -> Result<serde_json::Value, CliError> {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.token)
            .multipart(form)
            .send();
        answer(res)
    }
}

/// A success's JSON; a refusal's problem as the command's error: 4xx exit 2 with each field's
/// problem, else exit 1.
fn answer(
    res: reqwest::Result<reqwest::blocking::Response>,
) -> Result<serde_json::Value, CliError> {
    let res = res.map_err(|e| CliError::Other(anyhow::anyhow!("calling the server: {e}")))?;
    let status = res.status();
    let body: serde_json::Value = res.json().unwrap_or(serde_json::Value::Null);
    if status.is_success() {
        return Ok(body);
    }
    let mut lines = vec![format!(
        "{status}: {}",
        body["detail"]
            .as_str()
            .or(body["title"].as_str())
            .unwrap_or("the server refused the request")
    )];
    for p in body["errors"].as_array().into_iter().flatten() {
        lines.push(format!(
            "{}: {}",
            p["field"].as_str().unwrap_or_default(),
            p["message"].as_str().unwrap_or_default()
        ));
    }
    if status.is_client_error() {
        Err(CliError::Invalid(lines))
    } else {
        Err(CliError::Other(anyhow::anyhow!(lines.join("\n"))))
    }
}
