//! `provisio`: the command line. `main` parses arguments and dispatches; each subcommand is one
//! function in its own module that writes to the writer it is given.
mod approve;
mod bench;
mod commands;
mod corpus;
mod demo;
mod doctor;
mod draft;
mod guests;
mod lint;
mod mcp;
mod paths;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "provisio",
    version,
    about = "MCP tool server and docs indexer for Proxmox VE + Terraform + k3s"
)]
struct Cli {
    /// Where indexes, the embedding cache and the audit log live
    /// (default: the user's data directory, e.g. ~/.local/share/provisio).
    #[arg(long, global = true, env = "PROVISIO_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Config file (Proxmox VE clusters); default: PROVISIO_CONFIG, else
    /// ~/.config/provisio/config.toml if it exists. PROVISIO_PVE_* variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Build or refresh the docs index from a corpus directory (one folder per source).
    Index(commands::IndexArgs),
    /// The docs corpus: `corpus fetch` downloads it at the pinned commits, `corpus digest`
    /// prints the digests the sources file pins.
    Corpus(corpus::CorpusArgs),
    /// Search the docs index.
    Search(commands::SearchArgs),
    /// Measure retrieval quality on a question file (JSONL with `question` and `gold`).
    EvalRetrieval(commands::EvalArgs),
    /// Run the MCP server (stdio, or streamable HTTP at /mcp).
    Serve(mcp::ServeArgs),
    /// Call one tool through the MCP handler and print its structured result as JSON.
    Call(mcp::CallArgs),
    /// Check a plan file (JSON, schemas/plan.schema.json): prints each problem with its field
    /// and fix; exit 1 when there is any.
    CheckPlan(commands::CheckPlanArgs),
    /// Draft Terraform from a plan and the cluster's state (live, or `--state FILE`).
    Draft(draft::DraftArgs),
    /// Write Terraform (bpg or Telmate) with `import` blocks for existing guests (VMIDs or
    /// names); `provisio drift` on the result reports no drift.
    Import(guests::ImportArgs),
    /// Compare a Terraform module's guests with the live cluster, field by field, marking what
    /// would reboot, move or re-create a guest. Exit 0: no drift, 1: drift, 2: error.
    Drift(guests::DriftArgs),
    /// Lint Terraform (bpg/Telmate), Kubernetes YAML and k3s-ansible inventories: provider
    /// schemas, references,
    /// secrets, and the cluster (live, `--state FILE`, or `--no-cluster`). Exit 1 on errors.
    Lint(lint::LintArgs),
    /// Approve a previewed change set (out of band, on the server's machine), or list them.
    Approve(approve::ApproveArgs),
    /// The audit log: `audit verify` checks its hash chain.
    Audit(approve::AuditArgs),
    /// Scenario 4 end to end: fakepve lab, index, server, an MCP client session from
    /// cluster_state to an approved apply; prints the transcript.
    Demo(demo::DemoArgs),
    /// Check a cluster's endpoint, TLS (prints the fingerprint to pin), auth and privileges.
    Doctor(doctor::DoctorArgs),
    /// Benchmarks: `bench index` (full index, no-op reindex, peak RSS), `bench search` (latency).
    Bench(bench::BenchArgs),
    /// Print a shell completion script: `provisio completions bash > ~/.local/share/bash-completion/completions/provisio`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn main() -> std::process::ExitCode {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: a client's log file gets plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,qdrant_edge=error")),
        )
        .init();
    let cli = Cli::parse();
    let paths = paths::Paths::resolve(cli.data_dir.clone(), cli.config.clone());
    // Not locked: `serve` writes the protocol to stdout from tokio tasks.
    let mut out = std::io::stdout();
    let r = match cli.cmd {
        Cmd::Index(a) => commands::index(&paths, &a, &mut out),
        Cmd::Corpus(a) => corpus::run(&paths, &a, &mut out),
        Cmd::Search(a) => commands::search(&paths, &a, &mut out),
        Cmd::EvalRetrieval(a) => commands::eval(&paths, &a, &mut out),
        Cmd::Bench(a) => bench::run(&paths, &a, &mut out),
        Cmd::Serve(a) => mcp::serve(&paths, &a),
        Cmd::Call(a) => mcp::call(&paths, &a, &mut out),
        Cmd::Doctor(a) => doctor::run(&paths, &a, &mut out),
        Cmd::CheckPlan(a) => commands::check_plan(&a, &mut out),
        Cmd::Draft(a) => draft::run(&paths, &a, &mut out),
        Cmd::Lint(a) => lint::run(&paths, &a, &mut out),
        Cmd::Import(a) => guests::import(&paths, &a, &mut out),
        Cmd::Drift(a) => guests::drift(&paths, &a, &mut out),
        Cmd::Demo(a) => demo::run(&paths, &a, &mut out),
        Cmd::Approve(a) => approve::approve(&paths, &a, &mut out),
        Cmd::Audit(a) => approve::audit(&paths, &a, &mut out),
        Cmd::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "provisio", &mut out);
            Ok(std::process::ExitCode::SUCCESS)
        }
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
