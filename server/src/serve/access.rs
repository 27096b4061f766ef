//! Who may read what: the caller behind a request (a token holder, an anonymous caller, or
//! anyone on an open synthetic dataset), the limit on failed authentications per address, and
//! the caps on concurrent streams per caller and overall.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use cohortlens::cdm::Tier;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::ApiError;
use crate::tokens::{Holder, TokenStore};

/// How the server decides who may read rows.
pub enum Access {
    /// Anyone may read every table: a synthetic dataset served without `--tokens`, or the
    /// operator's explicit `--insecure-serve-rows-without-tokens`.
    Open,
    /// Registered and controlled tables need a bearer token of that scope.
    Tokens(TokenStore),
}

/// The caller of one request.
pub struct Caller {
    /// The token's holder, if a valid token was presented.
    pub holder: Option<Holder>,
    /// The highest tier the caller may read.
    pub tier: Tier,
    /// The client's address.
    pub client: IpAddr,
    open: bool,
}

impl Caller {
    /// The scope as the audit log and the catalog name it: the token's scope, `open` on an
    /// open dataset, `public` without a token.
    pub fn scope_name(&self) -> &'static str {
        match (&self.holder, self.open) {
            (Some(h), _) => h.scope.name(),
            (None, true) => "open",
            (None, false) => "public",
        }
    }

    /// The key concurrent streams are counted under: the token, else the address.
    fn stream_key(&self) -> String {
        match &self.holder {
            Some(h) => format!("token:{}", h.name),
            None => format!("ip:{}", self.client),
        }
    }
}

/// The 401 every authentication failure gets: it says what to send and nothing about the
/// table or the token.
pub fn unauthorized() -> ApiError {
    let mut e = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "this needs a valid bearer token: send the header `Authorization: Bearer <token>` with a token \
         the operator created for you",
    );
    e.headers.push((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
    e
}

/// The 403 of a valid token whose scope is below the table's tier.
pub fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "your token's scope does not cover this table; ask the operator for a token with a higher scope",
    )
}

fn too_many(code: &'static str, message: &str, retry_after: Duration) -> ApiError {
    let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message);
    let secs = retry_after.as_secs().max(1);
    e.headers.push((header::RETRY_AFTER, HeaderValue::from(secs)));
    e
}

/// Failed authentications allowed per address: a burst, then one per refill period.
pub struct FailedAuthLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Addresses that used up their budget, until when.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

impl FailedAuthLimit {
    /// `per_minute` failures a minute, in bursts of at most `burst`.
    pub fn new(per_minute: NonZeroU32, burst: NonZeroU32) -> Self {
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            blocked: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses an address that failed too often, without looking at its token.
    fn check(&self, ip: IpAddr) -> Result<(), ApiError> {
        let blocked = self.blocked.lock().expect("not poisoned");
        match blocked.get(&ip) {
            Some(&until) if until > Instant::now() => Err(too_many(
                "too_many_failures",
                "too many failed authentications from this address; wait before trying again",
                until - Instant::now(),
            )),
            _ => Ok(()),
        }
    }

    /// Counts one failure; the error to answer with (401, or 429 once the budget is spent).
    fn fail(&self, ip: IpAddr) -> ApiError {
        match self.limiter.check_key(&ip) {
            Ok(()) => unauthorized(),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.limiter.clock().now());
                let mut blocked = self.blocked.lock().expect("not poisoned");
                let now = Instant::now();
                blocked.retain(|_, until| *until > now);
                blocked.insert(ip, now + wait);
                self.limiter.retain_recent();
                tracing::warn!(client = %ip, "failed authentications over the limit; address blocked for {wait:?}");
                too_many(
                    "too_many_failures",
                    "too many failed authentications from this address; wait before trying again",
                    wait,
                )
            }
        }
    }
}

impl Access {
    /// Identifies the caller from the `Authorization` header. A header that is present but
    /// not a valid bearer token is a failure (401, counted against the address), even where
    /// the request would need no token.
    pub fn caller(
        &self,
        headers: &HeaderMap,
        client: IpAddr,
        failures: &FailedAuthLimit,
    ) -> Result<Caller, ApiError> {
        let tokens = match self {
            Access::Open => return Ok(Caller { holder: None, tier: Tier::Controlled, client, open: true }),
            Access::Tokens(tokens) => tokens,
        };
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(Caller { holder: None, tier: Tier::Public, client, open: false });
        };
        failures.check(client)?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        match token.and_then(|t| tokens.verify(t)) {
            Some(holder) => {
                Ok(Caller { tier: holder.scope.tier(), holder: Some(holder), client, open: false })
            }
            None => Err(failures.fail(client)),
        }
    }
}

/// The caps on concurrent table streams: overall, and per caller (token, or address without one).
pub struct StreamCaps {
    overall: Arc<Semaphore>,
    capacity: usize,
    per_caller: usize,
    callers: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// The permits one open stream holds until its response ends.
pub struct StreamPermits {
    overall: Option<OwnedSemaphorePermit>,
    _caller: OwnedSemaphorePermit,
    capacity: usize,
}

impl Drop for StreamPermits {
    /// When the last open stream ends, hands the memory the streams freed back to the system:
    /// glibc keeps it in its per-thread arenas otherwise, and the server would stay at its peak.
    fn drop(&mut self) {
        let Some(permit) = self.overall.take() else { return };
        let semaphore = permit.semaphore().clone();
        drop(permit);
        if semaphore.available_permits() == self.capacity {
            release_free_memory();
        }
    }
}

/// Returns the heap's free pages to the system (glibc's `malloc_trim`; elsewhere a no-op).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

impl StreamCaps {
    /// At most `overall` streams at once, `per_caller` of them for one caller.
    pub fn new(overall: usize, per_caller: usize) -> Self {
        Self {
            overall: Arc::new(Semaphore::new(overall)),
            capacity: overall,
            per_caller,
            callers: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a stream slot for `caller`, or says why not (never waits: a refused client retries).
    pub fn acquire(&self, caller: &Caller) -> Result<StreamPermits, ApiError> {
        let semaphore = {
            let mut callers = self.callers.lock().expect("not poisoned");
            if callers.len() > 10_000 {
                let per_caller = self.per_caller;
                callers.retain(|_, s| s.available_permits() < per_caller);
            }
            callers
                .entry(caller.stream_key())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_caller)))
                .clone()
        };
        let caller_permit = semaphore.try_acquire_owned().map_err(|_| {
            too_many(
                "too_many_streams",
                &format!(
                    "you have {} table streams open, the most one caller may; wait for one to end",
                    self.per_caller
                ),
                Duration::from_secs(1),
            )
        })?;
        let overall = self.overall.clone().try_acquire_owned().map_err(|_| {
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the server is streaming as many tables as it may at once; retry in a moment",
            );
            e.headers.push((header::RETRY_AFTER, HeaderValue::from(1)));
            e
        })?;
        Ok(StreamPermits { overall: Some(overall), _caller: caller_permit, capacity: self.capacity })
    }
}
