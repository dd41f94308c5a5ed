//! `smeproc migrate`, `user …` and `org …`: administration from the shell.

use super::{CliError, CliResult};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::error::Error;
use crate::service::accounts::{self, CreateOrgRequest, CreateUserRequest, OrgView, UserView};
use crate::service::audit;
use anyhow::Context;
use clap::Subcommand;
use std::io::{BufRead, IsTerminal};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from a prompt, or from the first line of standard
    /// input when it is not a terminal; never from the command line.
    #[command(
        after_help = "Examples:\n  smeproc user create --username root --role admin\n  printf '%s\\n' \"$PW\" | smeproc user create --username li --role agency --agency 乌鲁木齐市政府采购中心"
    )]
    Create {
        #[arg(long)]
        username: String,
        /// admin | agency | supplier | auditor
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Agency users: the agency's id or exact name.
        #[arg(long)]
        agency: Option<String>,
        /// Supplier users: credit code of a registered enterprise.
        #[arg(long)]
        enterprise: Option<String>,
    },
    /// List accounts.
    #[command(after_help = "Example:\n  smeproc user list --json")]
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable an account (by username or id) and revoke its tokens.
    #[command(after_help = "Example:\n  smeproc user disable li")]
    Disable { user: String },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an agency or a department.
    #[command(
        after_help = "Examples:\n  smeproc org create --kind agency --name 乌鲁木齐市政府采购中心 --region 650100 --address '乌鲁木齐市天山区' --contact-name 王芳 --contact-phone 0991-1234567\n  smeproc org create --kind department --name 自治区教育厅\n  smeproc org create --kind department --name 新疆大学 --parent 自治区教育厅"
    )]
    Create {
        /// agency | department
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        credit_code: Option<String>,
        #[arg(long)]
        region: Option<String>,
        /// Departments: the 主管预算单位 (id or exact name).
        #[arg(long)]
        parent: Option<String>,
        /// 地址, as notices name it.
        #[arg(long)]
        address: Option<String>,
        /// 联系人.
        #[arg(long)]
        contact_name: Option<String>,
        /// 联系电话.
        #[arg(long)]
        contact_phone: Option<String>,
    },
    /// List organisations.
    #[command(after_help = "Example:\n  smeproc org list --kind department")]
    List {
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum EnterpriseCommand {
    /// Import enterprises from a CSV file: credit_code, name, industry, employees, revenue_wan,
    /// assets_wan (a figure the industry does not use may be empty), optional region and
    /// large_firm_relation. All or nothing unless --skip-invalid.
    #[command(
        after_help = "Examples:\n  smeproc enterprise import firms.csv\n  smeproc enterprise import firms-gbk.csv --encoding gb18030\n  smeproc enterprise import firms.csv --skip-invalid --rejects rejected.csv"
    )]
    Import {
        file: std::path::PathBuf,
        /// utf-8 (with or without BOM) or gb18030.
        #[arg(long, default_value = "utf-8")]
        encoding: String,
        /// Import the good rows and write the bad ones to --rejects.
        #[arg(long, requires = "rejects")]
        skip_invalid: bool,
        /// Where refused rows go, with an `error` column (UTF-8 with BOM).
        #[arg(long, requires = "skip_invalid")]
        rejects: Option<std::path::PathBuf>,
    },
}

pub fn enterprise(settings: Settings, cmd: EnterpriseCommand) -> CliResult {
    use crate::wire::csv::Encoding;
    let EnterpriseCommand::Import {
        file,
        encoding,
        skip_invalid,
        rejects,
    } = cmd;
    let encoding: Encoding = encoding
        .parse()
        .map_err(|e: String| CliError::invalid(format!("--encoding: {e}")))?;
    let mut reader = crate::wire::csv::open(&file, encoding)
        .with_context(|| format!("opening {}", file.display()))?;
    let mut conn = connect(&settings)?;
    let outcome = match crate::service::imports::enterprises::import(
        &mut conn,
        &SystemClock,
        &crate::service::Actor::Cli,
        &mut reader,
        skip_invalid,
    ) {
        Ok(outcome) => outcome,
        Err(e) => return Err(import_failed(&file, e)),
    };
    if let Some(path) = rejects {
        write_rejects(&path, &mut reader, &outcome.rejected)?;
    }
    super::out(format_args!(
        "imported {} enterprise(s); rejected {}",
        outcome.imported,
        outcome.rejected.len()
    ))?;
    Ok(())
}

pub(super) fn connect(settings: &Settings) -> Result<crate::service::Conn, CliError> {
    Ok(crate::service::system::open_current(settings)?)
}

/// The service error as the CLI reports it: fixable input → exit 2.
/// An import that wrote nothing: every problem as `FILE: line N, column C: reason` (exit 2).
pub(super) fn import_failed(file: &std::path::Path, e: crate::wire::csv::ImportError) -> CliError {
    match e {
        crate::wire::csv::ImportError::Invalid(problems) => {
            let mut lines: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {p}", file.display()))
                .collect();
            lines.push(format!(
                "{} problem(s); nothing was imported",
                problems.len()
            ));
            CliError::Invalid(lines)
        }
        crate::wire::csv::ImportError::Failed(e) => cli_error(e),
    }
}

/// `--rejects FILE`: the refused rows with an `error` column.
pub(super) fn write_rejects(
    path: &std::path::Path,
    reader: &mut crate::wire::csv::CsvReader,
    rejected: &[(csv::StringRecord, Vec<crate::wire::csv::RowProblem>)],
) -> Result<(), CliError> {
    let headers = reader.headers().unwrap_or_default();
    let out =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    crate::wire::csv::write_rejects(out, &headers, rejected).context("writing rejects")?;
    Ok(())
}

pub(super) fn cli_error(e: Error) -> CliError {
    match e {
        Error::Validation(problems) => CliError::Invalid(
            problems
                .iter()
                .map(|p| format!("--{}: {}", p.field.replace('_', "-"), p.message))
                .collect(),
        ),
        Error::Conflict(_, m) => CliError::invalid(m.text),
        Error::NotFound(m) => CliError::invalid(m),
        other => CliError::Other(anyhow::anyhow!("{other}")),
    }
}

pub fn migrate(settings: Settings) -> CliResult {
    let mut conn = crate::service::system::open(&settings)?;
    let applied = crate::service::system::migrate(&mut conn)?;
    if applied.is_empty() {
        super::out(format_args!("database {} is up to date", settings.database))?;
    } else {
        super::out(format_args!(
            "applied {} migration(s) to {}: {}",
            applied.len(),
            settings.database,
            applied.join(", ")
        ))?;
    }
    Ok(())
}

fn read_password() -> Result<String, CliError> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("reading the password")?;
        let again =
            rpassword::prompt_password("Password again: ").context("reading the password")?;
        if first != again {
            return Err(CliError::invalid("the two passwords differ"));
        }
        first
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    Ok(password)
}

pub fn user(settings: Settings, cmd: UserCommand) -> CliResult {
    let mut conn = connect(&settings)?;
    match cmd {
        UserCommand::Create {
            username,
            role,
            display_name,
            agency,
            enterprise,
        } => {
            let password = read_password()?;
            let req = CreateUserRequest {
                username,
                display_name,
                role,
                password,
                agency_id: agency,
                enterprise_credit_code: enterprise,
            };
            let user = accounts::create_user(&mut conn, &SystemClock, audit::CLI, &req)
                .map_err(cli_error)?;
            super::out(format_args!(
                "created user {} ({}) id {}",
                user.username, user.role, user.id
            ))?;
        }
        UserCommand::List { json } => {
            let all: Vec<UserView> = accounts::list_users(&mut conn).map_err(cli_error)?;
            if json {
                super::out(format_args!(
                    "{}",
                    serde_json::to_string_pretty(&all).context("json")?
                ))?;
            } else {
                for u in all {
                    let state = if u.disabled { "disabled" } else { "active" };
                    super::out(format_args!(
                        "{}\t{}\t{}\t{}",
                        u.username, u.role, state, u.id
                    ))?;
                }
            }
        }
        UserCommand::Disable { user } => {
            // By username, or by id.
            let id = match accounts::find_user(&mut conn, &user).map_err(cli_error)? {
                Some(found) => found.id,
                None => user,
            };
            let u = accounts::disable_user(&mut conn, &SystemClock, audit::CLI, &id)
                .map_err(cli_error)?;
            super::out(format_args!("disabled user {} ({})", u.username, u.id))?;
        }
    }
    Ok(())
}

pub fn org(settings: Settings, cmd: OrgCommand) -> CliResult {
    let mut conn = connect(&settings)?;
    match cmd {
        OrgCommand::Create {
            kind,
            name,
            credit_code,
            region,
            parent,
            address,
            contact_name,
            contact_phone,
        } => {
            let req = CreateOrgRequest {
                kind,
                name,
                credit_code,
                region,
                parent_id: parent,
                address,
                contact_name,
                contact_phone,
            };
            let org = accounts::create_org(&mut conn, &SystemClock, audit::CLI, &req)
                .map_err(cli_error)?;
            super::out(format_args!(
                "created {} {} id {}",
                org.kind, org.name, org.id
            ))?;
        }
        OrgCommand::List { kind, json } => {
            let all: Vec<OrgView> =
                accounts::list_orgs(&mut conn, kind.as_deref()).map_err(cli_error)?;
            if json {
                super::out(format_args!(
                    "{}",
                    serde_json::to_string_pretty(&all).context("json")?
                ))?;
            } else {
                for o in all {
                    super::out(format_args!(
                        "{}\t{}\t{}\t{}",
                        o.kind,
                        o.name,
                        o.parent_id.unwrap_or_default(),
                        o.id
                    ))?;
                }
            }
        }
    }
    Ok(())
}
