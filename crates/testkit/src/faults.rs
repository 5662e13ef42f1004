//! Machinery for the fault suite: a private, throw-away PostgreSQL server the
//! test may restart and stop at will (never the machine's shared one), and a
//! small tmpfs the test can fill to the last byte. Both clean up after
//! themselves when dropped, also when the test fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::TestDb;

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The newest `/usr/lib/postgresql/<version>/bin` that holds `initdb`.
fn pg_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().split('.').next()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A PostgreSQL server of the test's own: its cluster in a temporary
/// directory, on a free port, run as the `postgres` user when the test runs
/// as root (PostgreSQL refuses to run as root).
#[derive(Debug)]
pub struct PrivatePg {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

impl PrivatePg {
    /// Creates and starts the server, or `None` (said loudly) when the
    /// machine has no PostgreSQL binaries and the run is not CI. Blocking.
    pub fn start() -> Option<Self> {
        let Some(bin) = pg_bin() else {
            assert!(
                !youying_store::testing::pg_required(),
                "CI=true but no PostgreSQL binaries under /usr/lib/postgresql/*/bin for a private server"
            );
            eprintln!("SKIPPED: no PostgreSQL binaries under /usr/lib/postgresql/*/bin for a private server");
            return None;
        };
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("youying-pg-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let out = Command::new("chown").arg("postgres:postgres").arg(&dir).output().unwrap();
            assert!(out.status.success(), "chown {}: {out:?}", dir.display());
        }
        let pg = PrivatePg { bin, dir, port: free_port(), as_postgres };
        let data = pg.dir.join("data");
        let data = data.to_str().unwrap();
        pg.run("initdb", &["-D", data, "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8", "--locale=C"]);
        pg.start_server();
        Some(pg)
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    /// Runs one of the server's tools to completion; panics with its output.
    /// The output goes to a file, not a pipe: a server `pg_ctl` starts keeps
    /// its inherited descriptors open, and a pipe would never see its end.
    fn run(&self, tool: &str, args: &[&str]) {
        let path = self.dir.join("tools.log");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&path).unwrap();
        let status = self
            .command(tool)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .status()
            .expect("run a PostgreSQL tool");
        assert!(
            status.success(),
            "{tool} {args:?}: {status}\n{}\n{}",
            std::fs::read_to_string(&path).unwrap_or_default(),
            self.server_log()
        );
    }

    fn data(&self) -> String {
        self.dir.join("data").to_str().unwrap().to_owned()
    }

    fn start_server(&self) {
        // fsync off: a killed server process loses nothing it acknowledged
        // (the operating system keeps its writes); only a power cut would.
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40 -c shared_buffers=16MB",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        self.run("pg_ctl", &["-D", &self.data(), "-l", log.to_str().unwrap(), "-o", &opts, "-w", "-t", "60", "start"]);
    }

    /// The superuser URL of this server's `postgres` database.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A new database on this server, as the rest of the testkit takes one.
    pub fn database(&self, name: &str) -> TestDb {
        let port = self.port.to_string();
        self.run("createdb", &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name]);
        let url = format!("postgres://postgres@127.0.0.1:{}/{name}", self.port);
        TestDb::Postgres { admin_url: self.admin_url(), name: name.to_owned(), url }
    }

    /// `pg_ctl restart -m fast`: sessions are ended (57P01), the server comes back.
    pub fn restart_fast(&self) {
        let log = self.dir.join("server.log");
        let log = log.to_str().unwrap();
        self.run("pg_ctl", &["-D", &self.data(), "-l", log, "-m", "fast", "-w", "-t", "60", "restart"]);
    }

    /// `pg_ctl stop -m immediate`: the server dies without a checkpoint, as in a crash.
    pub fn stop_immediate(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }

    /// Starts the server again after [`Self::stop_immediate`] (crash recovery runs).
    pub fn start_again(&self) {
        self.start_server();
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A tmpfs of `size` bytes mounted on a directory; unmounted when dropped.
#[derive(Debug)]
pub struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts, or says why it could not (not root, no `mount`, a container
    /// without the capability).
    pub fn mount(path: &Path, size: u64) -> Result<Self, String> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs on {} failed ({}): {}",
                path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs { path: path.to_owned() })
    }

    /// Writes a filler file until the file system says it is full (ENOSPC);
    /// returns its path.
    pub fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        loop {
            match f.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => break,
                Err(e) => panic!("filling {}: {e}", filler.display()),
            }
        }
        // The last bytes a partial write may have left too.
        while f.write(&chunk[..512]).is_ok_and(|n| n > 0) {}
        let _ = f.flush();
        filler
    }

    /// Bytes still free, as the file system reports them.
    pub fn free(&self) -> u64 {
        let out = Command::new("df").args(["-B1", "--output=avail"]).arg(&self.path).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap_or(0)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount").arg(&self.path).status().is_ok_and(|s| s.success());
        if !ok {
            // Something still has a file open there (a process the failed test
            // left behind): detach it now, it goes away with the last handle.
            let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        }
    }
}
