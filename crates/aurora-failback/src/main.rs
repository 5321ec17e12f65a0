//! aurora-failback: what a restore would do to a cluster, start one, watch it, and read
//! what happened before. Uses the same planning code as the Lambdas.

mod cli;
mod commands;
mod deployment;
mod dr;
mod failure;
mod render;
mod setup;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("aurora-failback: cannot start: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(code) => code.into(),
        Err(failure) => {
            eprintln!("aurora-failback: {failure}");
            failure.exit_code().into()
        }
    }
}
