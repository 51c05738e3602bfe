// SPDX-License-Identifier: GPL-2.0

//! Active-member selection for vnic_failover.
//!
//! Decides which member of the pool carries the vNIC's traffic, when a failure forces a switch,
//! and when a recovered member may take over again. Pure logic on plain data, with time supplied
//! by the caller in milliseconds: the kernel module and the host crate `tools/vnic-policy` (unit
//! tests) compile this same file. No allocation: the pool has a fixed capacity.
//!
//! Rules:
//! - A member is *usable* when its link is up and it is not marked failed (transmit timeouts,
//!   rising error counters, failed probes, or an administrator's command).
//! - A usable member is *eligible* once it has been up for the up-delay. The up-delay doubles for
//!   every recent flap of that member (down transitions within the flap window), up to
//!   [`MAX_DAMPING_SHIFT`] doublings, so a flapping member stays out longer each time.
//! - When the active member stops being usable, the best eligible member takes over at once;
//!   if none is eligible, the best usable one does (waiting for an up-delay with no active
//!   member at all would only lengthen the outage). Failure switches are never held back.
//! - A member better than the active one takes over only as the failback policy allows, and
//!   never within the hold-down after the previous switch, which bounds how often a flapping
//!   member can move traffic.
//! - "Best" ranks by priority (higher first), then quality (e.g. link speed, higher first), then
//!   the order members joined.

/// How many members a pool holds.
pub const MAX_MEMBERS: usize = 16;

/// The up-delay doubles at most this many times for a flapping member.
pub const MAX_DAMPING_SHIFT: u32 = 5;

/// Identifies a member (the lower device's interface index).
pub type MemberId = u32;

/// A monotonic time in milliseconds.
pub type Millis = u64;

/// When a member better than the active one takes over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failback {
    /// As soon as a member of higher priority is eligible.
    Always,
    /// As soon as a member of higher priority is eligible, unless its quality is lower than the
    /// active member's (a primary that came back at a lower link speed does not take over).
    Better,
    /// Never: the active member keeps traffic until it fails.
    Never,
}

/// Tunables of the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The failback policy.
    pub failback: Failback,
    /// How long a member must be up before it is eligible.
    pub up_delay: Millis,
    /// How long after a switch no failback may happen.
    pub hold_down: Millis,
    /// How far back down transitions count as flaps for damping.
    pub flap_window: Millis,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            failback: Failback::Always,
            up_delay: 200,
            hold_down: 1000,
            flap_window: 10_000,
        }
    }
}

/// Why the active member changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A member became active while none was (the first one, or one that came back after all
    /// had failed).
    Activated,
    /// The active member lost its link (carrier loss or administratively down).
    LinkDown,
    /// The active member left the pool (removed, unregistered, hot-unplugged).
    Removed,
    /// The active member was marked failed by a health check or an administrator.
    Failed(Health),
    /// A better member took over as the failback policy allows.
    Failback,
}

/// A health problem that makes a member unusable although its link is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// The stack reported a transmit timeout.
    TxTimeout,
    /// Transmit error counters kept rising.
    TxErrors,
    /// ARP or neighbour-solicitation probes went unanswered.
    ProbeFailed,
    /// An administrator failed the member.
    Admin,
}

/// A change of the active member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Switch {
    /// The member that carried traffic, if any.
    pub from: Option<MemberId>,
    /// The member that carries traffic now, if any.
    pub to: Option<MemberId>,
    /// Why.
    pub reason: Reason,
}

/// Errors of pool changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The pool holds [`MAX_MEMBERS`] members already.
    Full,
    /// The member is in the pool already.
    Exists,
    /// The member is not in the pool.
    NotFound,
}

/// What the selector knows of a member, for user space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberInfo {
    /// Its priority (higher is preferred).
    pub priority: u32,
    /// Its quality (e.g. link speed; higher is preferred between equal priorities).
    pub quality: u32,
    /// Whether its link is up.
    pub link_up: bool,
    /// Why it is marked failed, if it is.
    pub failed: Option<Health>,
    /// Its down transitions within the flap window.
    pub flaps: u32,
    /// Whether it has served its up-delay and may take over.
    pub eligible: bool,
}

#[derive(Clone, Copy, Debug)]
struct Member {
    id: MemberId,
    priority: u32,
    quality: u32,
    /// Join order, the last tie-breaker.
    seq: u64,
    link_up: bool,
    /// When the link last came up.
    up_since: Millis,
    failed: Option<Health>,
    /// Down transitions within the flap window, and when the last one happened.
    flaps: u32,
    last_down: Option<Millis>,
}

impl Member {
    fn usable(&self) -> bool {
        self.link_up && self.failed.is_none()
    }

    /// Counts a down transition at `now`: one more flap if the last one was within `window`.
    fn count_flap(&mut self, window: Millis, now: Millis) {
        let recent = self
            .last_down
            .is_some_and(|t| now.saturating_sub(t) < window);
        self.flaps = if recent {
            self.flaps.saturating_add(1)
        } else {
            1
        };
        self.last_down = Some(now);
    }

    fn up_delay(&self, config: &Config) -> Millis {
        let shift = self.flaps.saturating_sub(1).min(MAX_DAMPING_SHIFT);
        config.up_delay.saturating_mul(1 << shift)
    }

    /// When the member becomes eligible; `None` if that lies beyond the clock's range (never).
    fn eligible_at(&self, config: &Config) -> Option<Millis> {
        self.up_since.checked_add(self.up_delay(config))
    }

    fn eligible(&self, config: &Config, now: Millis) -> bool {
        self.usable() && self.eligible_at(config).is_some_and(|t| now >= t)
    }

    /// Whether `self` ranks above `other`.
    fn ranks_above(&self, other: &Member) -> bool {
        (self.priority, self.quality, core::cmp::Reverse(self.seq))
            > (other.priority, other.quality, core::cmp::Reverse(other.seq))
    }
}

/// The pool and its active member.
#[derive(Clone)]
pub struct Selector {
    config: Config,
    members: [Option<Member>; MAX_MEMBERS],
    active: Option<MemberId>,
    last_switch: Option<Millis>,
    next_seq: u64,
    switches: u64,
}

impl Selector {
    /// Creates an empty pool.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            members: [None; MAX_MEMBERS],
            active: None,
            last_switch: None,
            next_seq: 0,
            switches: 0,
        }
    }

    /// Returns the tunables.
    pub fn config(&self) -> Config {
        self.config
    }

    /// Replaces the tunables; takes effect at the next evaluation.
    pub fn set_config(&mut self, config: Config, now: Millis) -> Option<Switch> {
        self.config = config;
        self.evaluate(now)
    }

    /// Returns the active member.
    pub fn active(&self) -> Option<MemberId> {
        self.active
    }

    /// Returns how many times traffic moved from one member to another (failovers and
    /// failbacks; not the first activation, nor losing every member).
    pub fn switches(&self) -> u64 {
        self.switches
    }

    /// Returns what the selector knows of member `id` at `now`.
    pub fn member(&self, id: MemberId, now: Millis) -> Option<MemberInfo> {
        let m = self.find(id)?;
        Some(MemberInfo {
            priority: m.priority,
            quality: m.quality,
            link_up: m.link_up,
            failed: m.failed,
            flaps: m.flaps,
            eligible: m.eligible(&self.config, now),
        })
    }

    /// Returns how many members the pool holds.
    pub fn len(&self) -> usize {
        self.members.iter().flatten().count()
    }

    /// Returns whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a member. A member whose link is up counts as up since `now`.
    pub fn add(
        &mut self,
        id: MemberId,
        priority: u32,
        quality: u32,
        link_up: bool,
        now: Millis,
    ) -> Result<Option<Switch>, Error> {
        if self.find(id).is_some() {
            return Err(Error::Exists);
        }
        let slot = self
            .members
            .iter_mut()
            .find(|m| m.is_none())
            .ok_or(Error::Full)?;
        *slot = Some(Member {
            id,
            priority,
            quality,
            seq: self.next_seq,
            link_up,
            up_since: now,
            failed: None,
            flaps: 0,
            last_down: None,
        });
        self.next_seq += 1;
        Ok(self.evaluate(now))
    }

    /// Removes a member.
    pub fn remove(&mut self, id: MemberId, now: Millis) -> Result<Option<Switch>, Error> {
        let slot = self
            .members
            .iter_mut()
            .find(|m| m.is_some_and(|m| m.id == id))
            .ok_or(Error::NotFound)?;
        *slot = None;
        Ok(self.evaluate(now))
    }

    /// Changes a member's priority and quality.
    pub fn set_rank(
        &mut self,
        id: MemberId,
        priority: u32,
        quality: u32,
        now: Millis,
    ) -> Result<Option<Switch>, Error> {
        let m = self.find_mut(id).ok_or(Error::NotFound)?;
        m.priority = priority;
        m.quality = quality;
        Ok(self.evaluate(now))
    }

    /// Records a link state of a member (carrier and administrative state together).
    pub fn set_link(
        &mut self,
        id: MemberId,
        up: bool,
        now: Millis,
    ) -> Result<Option<Switch>, Error> {
        let window = self.config.flap_window;
        let m = self.find_mut(id).ok_or(Error::NotFound)?;
        if m.link_up == up {
            return Ok(None);
        }
        m.link_up = up;
        if up {
            m.up_since = now;
        } else {
            m.count_flap(window, now);
        }
        Ok(self.evaluate(now))
    }

    /// Marks a member failed for a health reason, or (with `None`) healthy again. A member that
    /// recovers counts as up since `now`, so it serves the up-delay before it may take over.
    pub fn set_health(
        &mut self,
        id: MemberId,
        failed: Option<Health>,
        now: Millis,
    ) -> Result<Option<Switch>, Error> {
        let window = self.config.flap_window;
        let m = self.find_mut(id).ok_or(Error::NotFound)?;
        if m.failed == failed {
            return Ok(None);
        }
        if m.failed.is_some() && failed.is_none() {
            m.up_since = now;
        }
        // A health failure is a flap too, so a member that keeps failing its checks is
        // retried ever later; an administrator's mark is not.
        if m.failed.is_none() && failed.is_some_and(|h| h != Health::Admin) {
            m.count_flap(window, now);
        }
        m.failed = failed;
        Ok(self.evaluate(now))
    }

    /// Re-evaluates at `now`: up-delays that ran out, hold-downs that ended.
    pub fn tick(&mut self, now: Millis) -> Option<Switch> {
        self.evaluate(now)
    }

    /// The member that takes over if the active one fails at `now`: the best eligible other
    /// member, else the best usable one. The data path turns to it as soon as the active
    /// member's carrier drops, before the failure reaches the selector.
    pub fn standby(&self, now: Millis) -> Option<MemberId> {
        let config = self.config;
        let other = |m: &Member| Some(m.id) != self.active;
        self.best(|m| other(m) && m.eligible(&config, now))
            .or_else(|| self.best(|m| other(m) && m.usable()))
            .map(|m| m.id)
    }

    /// Returns when [`Selector::tick`] should run next, if a pending up-delay or hold-down can
    /// change the decision.
    pub fn next_deadline(&self, now: Millis) -> Option<Millis> {
        let hold_end = self.hold_down_end()?;
        let active = self
            .active
            .and_then(|id| self.find(id))
            .filter(|a| a.usable());
        // Only a member of higher priority than a usable active one can take over from it.
        let may_take_over = |m: &Member| match active {
            Some(a) => m.priority > a.priority && self.config.failback != Failback::Never,
            None => true,
        };
        self.members
            .iter()
            .flatten()
            .filter(|m| m.usable() && Some(m.id) != self.active && may_take_over(m))
            .filter_map(|m| m.eligible_at(&self.config))
            .map(|t| t.max(hold_end))
            .filter(|&t| t > now)
            .min()
    }

    fn find(&self, id: MemberId) -> Option<&Member> {
        self.members.iter().flatten().find(|m| m.id == id)
    }

    fn find_mut(&mut self, id: MemberId) -> Option<&mut Member> {
        self.members.iter_mut().flatten().find(|m| m.id == id)
    }

    /// When the hold-down ends; `None` if that lies beyond the clock's range (never).
    fn hold_down_end(&self) -> Option<Millis> {
        match self.last_switch {
            Some(t) => t.checked_add(self.config.hold_down),
            None => Some(0),
        }
    }

    /// The best member satisfying `pred`.
    fn best(&self, pred: impl Fn(&Member) -> bool) -> Option<&Member> {
        self.members
            .iter()
            .flatten()
            .filter(|m| pred(m))
            .fold(None, |best: Option<&Member>, m| match best {
                Some(b) if !m.ranks_above(b) => Some(b),
                _ => Some(m),
            })
    }

    /// Whether `candidate` may take over from the usable active member `active` at `now`.
    fn may_fail_back(&self, candidate: &Member, active: &Member, now: Millis) -> bool {
        let held = self.hold_down_end().is_none_or(|end| now < end);
        if held || candidate.priority <= active.priority {
            return false;
        }
        match self.config.failback {
            Failback::Always => true,
            Failback::Better => candidate.quality >= active.quality,
            Failback::Never => false,
        }
    }

    /// Applies the rules. The reason of a switch follows from the state of the member that was
    /// active.
    fn evaluate(&mut self, now: Millis) -> Option<Switch> {
        let config = self.config;
        let current = self.active.and_then(|id| self.find(id)).copied();
        let (to, reason) = match current {
            Some(active) if active.usable() => {
                let candidate = self.best(|m| m.id != active.id && m.eligible(&config, now))?;
                if !self.may_fail_back(candidate, &active, now) {
                    return None;
                }
                (Some(candidate.id), Reason::Failback)
            }
            _ => {
                let next = self
                    .best(|m| m.eligible(&config, now))
                    .or_else(|| self.best(|m| m.usable()))
                    .map(|m| m.id);
                // A member failing its health checks may still pass some traffic: with no
                // other member to take over it stays (degraded beats nothing). A lost link or
                // an administrator's failure does not.
                let degraded = current.is_some_and(|active| {
                    active.link_up && active.failed.is_some_and(|h| h != Health::Admin)
                });
                if next.is_none() && degraded {
                    return None;
                }
                let reason = match (self.active, current) {
                    (None, _) => Reason::Activated,
                    (Some(_), None) => Reason::Removed,
                    (Some(_), Some(active)) => {
                        active.failed.map_or(Reason::LinkDown, Reason::Failed)
                    }
                };
                (next, reason)
            }
        };
        if to == self.active {
            return None;
        }
        let switch = Switch {
            from: self.active,
            to,
            reason,
        };
        if switch.from.is_some() && switch.to.is_some() {
            self.switches += 1;
        }
        self.active = to;
        self.last_switch = Some(now);
        Some(switch)
    }
}
