//! `youying`: one binary for the platform and its administration.

use clap::Parser;
use tokio::sync::watch;
use youying_core::ports::Store;
use youying_server::cli::{self, AdminCommand, BotCommand, Cli, CliResult, Command, EvidenceCommand, StockCommand};
use youying_server::with_app;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("YOUYING_LOG")
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> CliResult<bool> {
    let any = "127.0.0.1:0".parse()?;
    match cli.command {
        Command::Serve { bind, db, demo, insecure_cookies, mail, push, backups } => {
            let cfg = cli::config(&db, bind, demo, !insecure_cookies);
            let mail = mail.config()?;
            with_app!(cfg, |app| {
                let app = app.with_mail(mail).with_push_apis(push.apis());
                let listener =
                    tokio::net::TcpListener::bind(bind).await.map_err(|e| format!("cannot listen on {bind}: {e}"))?;
                let addr = listener.local_addr()?;
                if app.config.demo {
                    youying_server::demo::seed(&app).await?;
                    // The demo pays through the fake gateway this server serves.
                    let site = app.config.own_url(addr);
                    youying_server::demo::use_fake_gateway(&app, &site).await?;
                    // …and tops up its bound QQ会员 product through the fake supplier it serves.
                    youying_server::demo::use_fake_supplier(&app, &site).await?;
                }
                tracing::info!(%addr, backend = app.store.backend(), "youying listening");
                eprintln!("有应 Youying listening on http://{addr} ({})", app.store.backend());
                let (stop, shutdown) = watch::channel(false);
                tokio::spawn(async move {
                    let _ = tokio::signal::ctrl_c().await;
                    let _ = stop.send(true);
                });
                let scheduled = youying_server::backup::schedule::start(
                    &app.config,
                    &backups,
                    app.store.backend(),
                    shutdown.clone(),
                )?;
                youying_server::serve(listener, app, shutdown, true).await?;
                if let Some(s) = scheduled {
                    let _ = s.await;
                }
                Ok(true)
            })
        }
        Command::Migrate { db } => {
            with_app!(cli::config(&db, any, false, true), |app| {
                eprintln!("migrations applied ({})", app.store.backend());
                Ok(true)
            })
        }
        Command::Admin { command: AdminCommand::Create { username, role, password_stdin: _, db } } => {
            let password = cli::read_password_stdin()?;
            with_app!(cli::config(&db, any, false, true), |app| {
                cli::admin_create(&app, &username, &role, &password).await?;
                Ok(true)
            })
        }
        Command::Stock { command: StockCommand::Import { product, skip_duplicates, file, db } } => {
            with_app!(cli::config(&db, any, false, true), |app| cli::stock_import(
                &app,
                product,
                &file,
                skip_duplicates
            )
            .await)
        }
        Command::Evidence { command: EvidenceCommand::Verify { bundle: Some(path), head, .. } } => {
            cli::evidence_verify_bundle(&path, head.as_deref())
        }
        Command::Evidence { command: EvidenceCommand::Verify { bundle: None, db, .. } } => {
            with_app!(cli::config(&db, any, false, true), |app| cli::evidence_verify(&app).await)
        }
        Command::Evidence { command: EvidenceCommand::Anchor { db } } => {
            with_app!(cli::config(&db, any, false, true), |app| cli::evidence_anchor(&app).await)
        }
        Command::Backup { to, db } => Ok(youying_server::backup::run(&cli::config(&db, any, false, true), &to).await?),
        Command::Restore { from, db } => {
            Ok(youying_server::backup::run_restore(&from, &cli::config(&db, any, false, true)).await?)
        }
        Command::Bot { command: BotCommand::Eval { file } } => youying_server::bot_cli::eval(&file),
        Command::Bot { command: BotCommand::Ask { text, product, db } } => {
            youying_server::bot_cli::ask(&text, product, &db).await
        }
    }
}
