//! The shared state of one running simulator.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use crate::calls::CallBook;
use crate::cdr_gen::CdrGenerator;
use crate::clock::SimClock;
use crate::faults::FaultControl;
use crate::nginx::RateLimiter;
use crate::queue::WorkerQueue;
use crate::state::Store;

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) id_quirk: bool,
    /// Which unified-security.lua the WAF reproduces (release tag by default).
    pub(crate) waf: crate::nginx::WafMode,
    /// Store `networkfilterid: "localhost"` from REST as NULL, as the real server does.
    pub(crate) network_filter_quirk: bool,
    pub(crate) admin_password: String,
    /// Lifetime of the access tokens `auth:login` and `auth:refresh` issue, in simulated
    /// seconds (`JWTHelper::ACCESS_TOKEN_TTL`, 900, unless a test shortens it).
    pub(crate) access_token_ttl: i64,
    pub(crate) clock: SimClock,
    /// The HTTPS port the plain listener redirects to.
    pub(crate) https_port: Option<u16>,
    pub(crate) control_token: String,
    /// Where `state.json` is written (None: memory only).
    pub(crate) persist_dir: Option<PathBuf>,
}

/// A cached outcome of API-key validation (`bearer_tokens:{md5(token)}`): the key id or
/// `INVALID`, and when the entry expires (simulated seconds).
pub(crate) type KeyCache = HashMap<String, (Option<u64>, f64)>;

/// Everything a request handler can reach.
pub(crate) struct App {
    pub(crate) cfg: Config,
    store: Mutex<Store>,
    pub(crate) key_cache: Mutex<KeyCache>,
    pub(crate) limiter: Mutex<RateLimiter>,
    /// Failed logins per (300 s bucket, IP) (`LoginAction::checkRateLimit`).
    pub(crate) login_attempts: Mutex<HashMap<(i64, IpAddr), u32>>,
    /// Refreshes per (300 s bucket, IP) (`RefreshAction`: 100 per 5 minutes).
    pub(crate) refresh_attempts: Mutex<HashMap<(i64, IpAddr), u32>>,
    pub(crate) queue: WorkerQueue,
    pub(crate) faults: FaultControl,
    pub(crate) cdr: CdrGenerator,
    /// Calls placed through `POST /_sim/calls`.
    pub(crate) calls: Mutex<CallBook>,
    /// AJAM sessions on the Asterisk HTTPS port.
    pub(crate) ajam: Mutex<crate::ajam::Sessions>,
}

/// Lock a mutex, recovering the data if a previous holder panicked (the simulator must keep
/// serving; its data is always left consistent between statements).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl App {
    pub(crate) fn new(cfg: Config, store: Store, cdr_records: u64, faults: FaultControl) -> App {
        let cdr = CdrGenerator::new(store.cdr_anchor, cdr_records);
        App {
            cfg,
            store: Mutex::new(store),
            key_cache: Mutex::default(),
            limiter: Mutex::default(),
            login_attempts: Mutex::default(),
            refresh_attempts: Mutex::default(),
            queue: WorkerQueue::default(),
            faults,
            cdr,
            calls: Mutex::default(),
            ajam: Mutex::default(),
        }
    }

    /// Read the store.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        f(&lock(&self.store))
    }

    /// Change the store and persist it.
    pub(crate) fn write<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut guard = lock(&self.store);
        let r = f(&mut guard);
        if let Some(dir) = &self.cfg.persist_dir {
            guard.save(dir);
        }
        r
    }

    /// `TokenValidationService::clearCache()`: every key save or delete drops all cached
    /// validations, which is why revocation takes effect at once.
    pub(crate) fn clear_key_cache(&self) {
        lock(&self.key_cache).clear();
    }
}
