// SPDX-License-Identifier: GPL-2.0

//! `pvio`: the control CLI of the pvio kernel modules, over their generic netlink families.
//!
//! ```text
//! pvio vnic show [VNIC] [--json]
//! pvio vnic set VNIC [--failback always|better|never] [--up-delay MS] [--hold-down MS]
//!                    [--notify-count N] [--notify-interval MS]
//! pvio vnic member MEMBER [--priority N] [--fail | --unfail]
//! pvio vnic monitor [--count N] [--json]
//! pvio irq add|del DEV
//! pvio irq show|cpus [--json]
//! pvio irq config [--interval MS] [--dry-run on|off] [--banned-cpus LIST] [--banned-irqs LIST]
//!                 [--high-pct N] [--low-pct N] [--min-rate N] [--min-dwell MS] [--max-moves N]
//!                 [--usage-pct N] [--batch-limit N] [--json]
//! pvio irq monitor [--count N] [--json]
//! pvio vke node|members [--json]
//! pvio vke send (--to NODE | --broadcast) --service N [--key K] [--respond [--deadline MS]]
//!               [--payload TEXT | --size N] [--count N] [--json]
//! pvio vke serve --service N [--status S] [--reply TEXT] [--silent] [--count N] [--quiet]
//! pvio vke monitor [--count N] [--json]
//! ```

mod genl;
mod irq;
mod vke;
mod vke_cli;
mod vnic;

use clap::{Args, Parser, Subcommand};
use genl::{attr, Client, Error};
use neli::types::Buffer;
use std::{net::IpAddr, process::ExitCode};

#[derive(Parser)]
#[command(name = "pvio", version, about = "Control the pvio kernel modules")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// vnic_failover devices (family vnic-failover).
    #[command(subcommand)]
    Vnic(VnicCommand),
    /// The interrupt balancer (family irq-balancer).
    #[command(subcommand)]
    Irq(IrqCommand),
    /// The cluster messaging extension (family vke).
    #[command(subcommand)]
    Vke(vke_cli::VkeCommand),
}

#[derive(Subcommand)]
enum IrqCommand {
    /// Take a network device's interrupt lines under management.
    Add {
        /// The device.
        dev: String,
    },
    /// Stop managing a device; its lines get their original CPUs back.
    Del {
        /// The device.
        dev: String,
    },
    /// Show the adapters under management and their lines.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show each CPU's interrupt rate, interrupt time and pressure, as last sampled.
    Cpus {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the configuration and totals, or change the configuration.
    Config(IrqConfigArgs),
    /// Print decisions as they are made.
    Monitor(MonitorArgs),
}

/// Options of the `monitor` commands.
#[derive(Args)]
struct MonitorArgs {
    /// Stop after this many events.
    #[arg(long)]
    count: Option<usize>,
    /// Print JSON, one object per line.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct IrqConfigArgs {
    /// Milliseconds between samples (10 to 10000).
    #[arg(long)]
    interval: Option<u32>,
    /// Decide and report without moving anything.
    #[arg(long, value_parser = ["on", "off"])]
    dry_run: Option<String>,
    /// CPUs no line goes to, as a CPU list ("" for none).
    #[arg(long)]
    banned_cpus: Option<String>,
    /// Lines the balancer holds where they are, as IRQ numbers and ranges ("" for none).
    #[arg(long)]
    banned_irqs: Option<String>,
    /// Balancing starts above the mean by this many percent.
    #[arg(long)]
    high_pct: Option<u32>,
    /// Balancing stops within this many percent of the mean.
    #[arg(long)]
    low_pct: Option<u32>,
    /// Interrupts per second per CPU under which nothing moves.
    #[arg(long)]
    min_rate: Option<u32>,
    /// Milliseconds a line stays put after a move.
    #[arg(long)]
    min_dwell: Option<u32>,
    /// Most moves per interval.
    #[arg(long)]
    max_moves: Option<u32>,
    /// A CPU this many percent of its time in interrupts is saturated (0: off).
    #[arg(long)]
    usage_pct: Option<u32>,
    /// A queue with this many packets per interrupt is backed up (0: off).
    #[arg(long)]
    batch_limit: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum VnicCommand {
    /// Show one vNIC or every vNIC of the namespace.
    Show {
        /// The vNIC; all of them if left out.
        vnic: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set the failover policy of a vNIC.
    Set(SetArgs),
    /// Set a member's priority, or fail it administratively.
    Member(MemberArgs),
    /// Print switch events as they happen.
    Monitor(MonitorArgs),
}

#[derive(Args)]
struct SetArgs {
    /// The vNIC.
    vnic: String,
    /// When a member of higher priority takes over again.
    #[arg(long, value_parser = ["always", "better", "never"])]
    failback: Option<String>,
    /// Milliseconds a recovered member waits before it may take over.
    #[arg(long)]
    up_delay: Option<u32>,
    /// Milliseconds after a switch without failback.
    #[arg(long)]
    hold_down: Option<u32>,
    /// Peer notifications (gratuitous ARP, unsolicited NA) after each switch, 0 to 255.
    #[arg(long)]
    notify_count: Option<u32>,
    /// Milliseconds between peer notifications.
    #[arg(long)]
    notify_interval: Option<u32>,
    /// Milliseconds between health checks of the members' transmit counters (0: off, or 10
    /// to 10000).
    #[arg(long)]
    health_interval: Option<u32>,
    /// Address to probe out of the active member: IPv4 (ARP requests) or IPv6 (neighbour
    /// solicitations); 0.0.0.0 or :: turns probing off.
    #[arg(long)]
    probe_target: Option<std::net::IpAddr>,
    /// Milliseconds between probes (10 to 10000).
    #[arg(long)]
    probe_interval: Option<u32>,
    /// Probe intervals without proof after which a member fails (1 to 255).
    #[arg(long)]
    probe_missed_max: Option<u32>,
}

#[derive(Args)]
struct MemberArgs {
    /// The member device.
    member: String,
    /// Its priority (higher is preferred).
    #[arg(long)]
    priority: Option<u32>,
    /// Mark it failed: the vNIC stops using it.
    #[arg(long, conflicts_with = "unfail")]
    fail: bool,
    /// Take the administrative failure back.
    #[arg(long)]
    unfail: bool,
}

/// Resolves an interface name in the current namespace.
fn ifindex(name: &str) -> Result<u32, Error> {
    nix::net::if_::if_nametoindex(name).map_err(|e| Error::Other(format!("{name}: {e}")))
}

fn vnic(command: VnicCommand) -> Result<(), Error> {
    let mut client = Client::connect(vnic::FAMILY)?;
    match command {
        VnicCommand::Show { vnic: name, json } => {
            let replies = match name {
                Some(name) => {
                    let attrs = vec![attr(vnic::vnic_attr::IFINDEX, ifindex(&name)?)?];
                    client.request(vnic::cmd::DEV_GET, attrs, false)?
                }
                None => client.request(vnic::cmd::DEV_GET, Vec::new(), true)?,
            };
            let vnics: Vec<_> = replies.iter().map(vnic::decode).collect();
            if json {
                let text = serde_json::to_string_pretty(&vnics)
                    .map_err(|e| Error::Other(e.to_string()))?;
                println!("{text}");
            } else {
                for v in &vnics {
                    print!("{v}");
                }
            }
        }
        VnicCommand::Set(args) => {
            let mut attrs = vec![attr(vnic::vnic_attr::IFINDEX, ifindex(&args.vnic)?)?];
            if let Some(fb) = args.failback.as_deref().and_then(vnic::failback_value) {
                attrs.push(attr(vnic::vnic_attr::FAILBACK, fb)?);
            }
            if let Some(ms) = args.up_delay {
                attrs.push(attr(vnic::vnic_attr::UP_DELAY, ms)?);
            }
            if let Some(ms) = args.hold_down {
                attrs.push(attr(vnic::vnic_attr::HOLD_DOWN, ms)?);
            }
            if let Some(n) = args.notify_count {
                attrs.push(attr(vnic::vnic_attr::NOTIFY_PEERS_COUNT, n)?);
            }
            if let Some(ms) = args.health_interval {
                attrs.push(attr(vnic::vnic_attr::HEALTH_CHECK_INTERVAL, ms)?);
            }
            if let Some(ms) = args.notify_interval {
                attrs.push(attr(vnic::vnic_attr::NOTIFY_PEERS_INTERVAL, ms)?);
            }
            match args.probe_target {
                // Network order on the wire.
                Some(IpAddr::V4(target)) => {
                    let raw = u32::from_ne_bytes(target.octets());
                    attrs.push(attr(vnic::vnic_attr::PROBE_TARGET, raw)?);
                }
                Some(IpAddr::V6(target)) => {
                    let raw = Buffer::from(target.octets().as_slice());
                    attrs.push(attr(vnic::vnic_attr::PROBE_TARGET6, raw)?);
                }
                None => {}
            }
            if let Some(ms) = args.probe_interval {
                attrs.push(attr(vnic::vnic_attr::PROBE_INTERVAL, ms)?);
            }
            if let Some(n) = args.probe_missed_max {
                attrs.push(attr(vnic::vnic_attr::PROBE_MISSED_MAX, n)?);
            }
            client.request(vnic::cmd::DEV_SET, attrs, false)?;
        }
        VnicCommand::Member(args) => {
            let mut attrs = vec![attr(vnic::member_attr::IFINDEX, ifindex(&args.member)?)?];
            if let Some(p) = args.priority {
                attrs.push(attr(vnic::member_attr::PRIORITY, p)?);
            }
            if args.fail || args.unfail {
                attrs.push(attr(vnic::member_attr::ADMIN_FAILED, u8::from(args.fail))?);
            }
            client.request(vnic::cmd::MEMBER_SET, attrs, false)?;
        }
        VnicCommand::Monitor(MonitorArgs { count, json }) => monitor(
            &mut client,
            (vnic::FAMILY, vnic::GROUP_MONITOR, vnic::cmd::SWITCH_NTF),
            count,
            json,
            vnic::decode,
            vnic::event_line,
        )?,
    }
    Ok(())
}

fn irq(command: IrqCommand) -> Result<(), Error> {
    let mut client = Client::connect(irq::FAMILY)?;
    match command {
        IrqCommand::Add { dev } => {
            let attrs = vec![attr(irq::adapter_attr::IFINDEX, ifindex(&dev)?)?];
            client.request(irq::cmd::ADAPTER_ADD, attrs, false)?;
        }
        IrqCommand::Del { dev } => {
            let attrs = vec![attr(irq::adapter_attr::IFINDEX, ifindex(&dev)?)?];
            client.request(irq::cmd::ADAPTER_DEL, attrs, false)?;
        }
        IrqCommand::Show { json } => {
            let replies = client.request(irq::cmd::ADAPTER_GET, Vec::new(), true)?;
            let adapters: Vec<_> = replies.iter().map(irq::decode_adapter).collect();
            if json {
                println!("{}", pretty(&adapters)?);
            } else {
                for a in &adapters {
                    print!("{a}");
                }
            }
        }
        IrqCommand::Cpus { json } => {
            let replies = client.request(irq::cmd::CPU_GET, Vec::new(), true)?;
            let cpus: Vec<_> = replies.iter().map(irq::decode_cpu).collect();
            if json {
                println!("{}", pretty(&cpus)?);
            } else {
                for c in &cpus {
                    print!("{c}");
                }
            }
        }
        IrqCommand::Config(args) => {
            use irq::config_attr as c;
            let mut attrs = Vec::new();
            for (ty, value) in [
                (c::INTERVAL_MS, args.interval),
                (c::HIGH_PCT, args.high_pct),
                (c::LOW_PCT, args.low_pct),
                (c::MIN_RATE, args.min_rate),
                (c::MIN_DWELL_MS, args.min_dwell),
                (c::MAX_MOVES, args.max_moves),
                (c::USAGE_PCT, args.usage_pct),
                (c::BATCH_LIMIT, args.batch_limit),
            ] {
                if let Some(v) = value {
                    attrs.push(attr(ty, v)?);
                }
            }
            if let Some(on) = &args.dry_run {
                attrs.push(attr(c::DRY_RUN, u8::from(on == "on"))?);
            }
            for (ty, list) in [
                (c::BANNED_CPUS, &args.banned_cpus),
                (c::BANNED_IRQS, &args.banned_irqs),
            ] {
                if let Some(list) = list {
                    let mut bytes = list.as_bytes().to_vec();
                    bytes.push(0);
                    attrs.push(attr(ty, Buffer::from(bytes.as_slice()))?);
                }
            }
            if !attrs.is_empty() {
                client.request(irq::cmd::CONFIG_SET, attrs, false)?;
            } else {
                let replies = client.request(irq::cmd::CONFIG_GET, Vec::new(), false)?;
                let config = replies
                    .first()
                    .map(irq::decode_config)
                    .ok_or_else(|| Error::Other("no reply".to_owned()))?;
                if args.json {
                    println!("{}", pretty(&config)?);
                } else {
                    print!("{config}");
                }
            }
        }
        IrqCommand::Monitor(MonitorArgs { count, json }) => monitor(
            &mut client,
            (irq::FAMILY, irq::GROUP_DECISIONS, irq::cmd::DECISION_NTF),
            count,
            json,
            irq::decode_decision,
            |d| d.to_string(),
        )?,
    }
    Ok(())
}

/// Subscribes to a family's group and prints its events of one command, `count` of them or
/// until the socket closes: a line each, as `line` formats them, or as JSON.
fn monitor<T: serde::Serialize>(
    client: &mut Client,
    (family, group, cmd): (&str, &str, u8),
    count: Option<usize>,
    json: bool,
    decode: impl Fn(&genl::Message) -> T,
    line: impl Fn(&T) -> String,
) -> Result<(), Error> {
    client.subscribe(group)?;
    // Tells a script the subscription is in place.
    eprintln!("monitoring {family}");
    let mut seen = 0;
    while count.is_none_or(|n| seen < n) {
        let Some(msg) = client.next_event() else {
            break;
        };
        let msg = msg?;
        if msg.cmd() != &cmd {
            continue;
        }
        let event = decode(&msg);
        if json {
            let text = serde_json::to_string(&event).map_err(|e| Error::Other(e.to_string()))?;
            println!("{text}");
        } else {
            println!("{}", line(&event));
        }
        seen += 1;
    }
    Ok(())
}

/// Pretty JSON of a reply.
fn pretty<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string_pretty(value).map_err(|e| Error::Other(e.to_string()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Vnic(command) => vnic(command),
        Command::Irq(command) => irq(command),
        Command::Vke(command) => vke_cli::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pvio: {e}");
            ExitCode::FAILURE
        }
    }
}
