//! The servers under test run as child processes, so that their memory and CPU
//! are theirs alone (read from `/proc/PID/…`), not mixed with the 10,000 clients'.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::BoxResult;

/// A server child and where it listens.
#[derive(Debug)]
pub struct Server {
    pub name: &'static str,
    pub child: Child,
    pub addr: SocketAddr,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn http(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws(&self) -> String {
        format!("ws://{}", self.addr)
    }
}

/// A port nobody listens on right now (the child binds it a moment later).
fn free_addr(ip: IpAddr) -> BoxResult<SocketAddr> {
    let l = std::net::TcpListener::bind(SocketAddr::new(ip, 0))?;
    Ok(l.local_addr()?)
}

fn log_file(dir: &Path, name: &str) -> BoxResult<Stdio> {
    Ok(Stdio::from(std::fs::File::create(dir.join(format!("{name}.log")))?))
}

/// `youying serve` on the given database (`None`: the data dir's SQLite file).
pub fn youying(bin: &Path, name: &'static str, data_dir: &Path, db_url: Option<&str>, ip: IpAddr) -> BoxResult<Server> {
    let addr = free_addr(ip)?;
    let mut cmd = Command::new(bin);
    cmd.arg("serve").arg("--bind").arg(addr.to_string()).arg("--data-dir").arg(data_dir);
    if let Some(url) = db_url {
        cmd.env("YOUYING_DATABASE_URL", url);
    }
    let child = cmd
        .env("YOUYING_MASTER_KEY", "09".repeat(32))
        .env("YOUYING_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file(data_dir, name)?)
        .spawn()
        .map_err(|e| {
            format!("cannot start {}: {e} (build it: cargo build --release -p youying-server)", bin.display())
        })?;
    Ok(Server { name, child, addr })
}

/// This very binary as the bare baseline server.
pub fn bare(name: &'static str, mode: &str, nodelay: bool, dir: &Path, ip: IpAddr) -> BoxResult<Server> {
    let addr = free_addr(ip)?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(["bare-server", "--bind", &addr.to_string(), "--mode", mode]);
    if nodelay {
        cmd.arg("--nodelay");
    }
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log_file(dir, name)?).spawn()?;
    Ok(Server { name, child, addr })
}

/// Polls `/healthz` until it answers 200.
pub async fn ready(http: &reqwest::Client, s: &mut Server) -> BoxResult<()> {
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{}/healthz", s.http())).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        if let Some(status) = s.child.try_wait()? {
            return Err(format!("{} exited during startup: {status}", s.name).into());
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!("{} not ready after 60 s", s.name).into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SIGINT (a graceful stop), then SIGKILL if it lingers.
pub async fn stop(mut s: Server) -> BoxResult<()> {
    let _ = Command::new("kill").args(["-INT", &s.pid().to_string()]).status();
    let started = Instant::now();
    while s.child.try_wait()?.is_none() {
        if started.elapsed() > Duration::from_secs(15) {
            s.child.kill()?;
            s.child.wait()?;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Resident memory now and its peak, KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mem {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

pub fn mem(pid: &str) -> Mem {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Mem { rss_kib: field("VmRSS:"), hwm_kib: field("VmHWM:") }
}

/// CPU time used so far by a process (`self` or a pid), in clock ticks.
pub fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)
}

/// Busy and total ticks of the whole machine (all processes), from `/proc/stat`.
pub fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> =
        stat.lines().next().unwrap_or_default().split_whitespace().skip(1).map(|x| x.parse().unwrap_or(0)).collect();
    let total: u64 = f.iter().sum();
    let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// Ticks per second (`getconf CLK_TCK`, 100 on Linux).
pub const TICKS: f64 = 100.0;

/// Open files allowed: raises this process's soft limit to the hard one when
/// it is below `need` (children inherit it). `prlimit` does it without unsafe code.
pub fn raise_nofile(need: u64) -> BoxResult<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    let line = limits.lines().find(|l| l.starts_with("Max open files")).ok_or("no open-files limit")?;
    let nums: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    let (soft, hard) = (nums.first().copied().unwrap_or(0), nums.get(1).copied().unwrap_or(0));
    if soft >= need {
        return Ok(soft);
    }
    let pid = std::process::id().to_string();
    let ok = Command::new("prlimit").args(["--pid", &pid, &format!("--nofile={hard}:{hard}")]).status()?.success();
    if !ok || hard < need {
        return Err(format!("open files: need {need}, soft {soft}, hard {hard}").into());
    }
    Ok(hard)
}
