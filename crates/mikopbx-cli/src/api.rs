//! `mikopbx api METHOD PATH [--data JSON | --data-file FILE]`: any request under the API's
//! prefixes, through the SDK's escape hatch (`Client::request`): a module's endpoint, or one the
//! typed API does not have yet. Prints the answer's `data` as JSON on stdout and its messages
//! on stderr. The same checks and typed errors as every call; dangerous system actions are
//! refused (this command never allows them).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use mikopbx::HttpMethod;

use crate::connect::ConnectArgs;
use crate::exit::{self, Failure};

#[derive(Args, Debug)]
pub struct ApiArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// GET, POST, PUT, PATCH, DELETE or HEAD.
    method: String,
    /// The path, from `/pbxcore/api/v3/` or `/pbxcore/api/modules/`, with its query string.
    path: String,
    /// The JSON body.
    #[arg(long, conflicts_with = "data_file")]
    data: Option<String>,
    /// A file holding the JSON body (`-`: stdin).
    #[arg(long)]
    data_file: Option<PathBuf>,
}

pub async fn run(args: ApiArgs) -> ExitCode {
    exit::finish(request(&args).await.map(|data| println!("{data}")))
}

async fn request(args: &ApiArgs) -> Result<String, Failure> {
    let method = HttpMethod::parse(&args.method).ok_or_else(|| {
        Failure::usage(format!(
            "{:?} is not an HTTP method: GET, POST, PUT, PATCH, DELETE or HEAD",
            args.method
        ))
    })?;
    let text = match (&args.data, &args.data_file) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(path)) if path.as_os_str() == "-" => {
            Some(std::io::read_to_string(std::io::stdin()).map_err(|e| e.to_string())?)
        }
        (None, Some(path)) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?,
        ),
        (None, None) => None,
    };
    let body = text
        .map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| Failure::usage(format!("the body is not JSON: {e}")))
        })
        .transpose()?;
    let client = args.connect.client().await?;
    let answer = client.request(method, &args.path, body.as_ref()).await?;
    for m in &answer.messages {
        eprintln!("mikopbx: the PBX says: {m}");
    }
    Ok(serde_json::to_string_pretty(&answer.data()).map_err(|e| e.to_string())?)
}
