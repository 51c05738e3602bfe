// SPDX-License-Identifier: GPL-2.0

//! `pvio vke`: the node of this namespace, its members, sending (with responses), and an
//! example daemon that serves a service.

use crate::genl::Error;
use crate::vke::{Daemon, Event, Outgoing, Received};
use clap::{Args, Subcommand};
use std::time::Instant;
use vke_proto::header::{Kind, MAX_PAYLOAD_LEN};

#[derive(Subcommand)]
pub enum VkeCommand {
    /// Show this namespace's node: address, caps, bound services, counters.
    Node {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the members of the cluster.
    Members {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set the cluster's configuration; every member takes it, and nodes that join later.
    Configure {
        /// The cluster's name (at most 31 bytes).
        #[arg(long)]
        name: Option<String>,
        /// Milliseconds a request waits for responses when it gives no deadline.
        #[arg(long, value_parser = parse_u32)]
        deadline: Option<u32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send requests and responses to one member between direct sockets (on, the default), or
    /// through the group (off); the members then send to this node the same way.
    Direct {
        /// on or off.
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Send a request to one node or to all, and wait for the responses if asked.
    Send(SendArgs),
    /// Serve a service: print each request and answer those that ask for a response.
    Serve(ServeArgs),
    /// Print members joining and leaving.
    Monitor {
        /// Stop after this many events.
        #[arg(long)]
        count: Option<usize>,
        /// Print JSON, one object per line.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct SendArgs {
    /// The destination node (its TIPC address, e.g. 0x1001002 or 16781314).
    #[arg(long, value_parser = parse_u32, required_unless_present = "broadcast")]
    to: Option<u32>,
    /// Send to every member.
    #[arg(long, conflicts_with = "to")]
    broadcast: bool,
    /// The service.
    #[arg(long, value_parser = parse_u32)]
    service: u32,
    /// The key, for the service's use.
    #[arg(long, default_value_t = 0)]
    key: u64,
    /// Wait for a response from every destination.
    #[arg(long)]
    respond: bool,
    /// Milliseconds to wait for responses (default: the cluster configuration's).
    #[arg(long, requires = "respond")]
    deadline: Option<u32>,
    /// The payload, as text.
    #[arg(long, conflicts_with = "size")]
    payload: Option<String>,
    /// A payload of this many bytes instead.
    #[arg(long)]
    size: Option<usize>,
    /// Send this many requests, one after the other, and report round-trip times.
    #[arg(long, default_value_t = 1)]
    count: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ServeArgs {
    /// The service.
    #[arg(long, value_parser = parse_u32)]
    service: u32,
    /// The status to answer with.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    status: i32,
    /// Answer with this text instead of the request's own payload.
    #[arg(long)]
    reply: Option<String>,
    /// Never answer (a responder that stays silent).
    #[arg(long)]
    silent: bool,
    /// Stop after this many requests.
    #[arg(long)]
    count: Option<u64>,
    /// Print nothing per request.
    #[arg(long)]
    quiet: bool,
}

/// Parses a number in decimal or, with 0x, hexadecimal.
fn parse_u32(s: &str) -> Result<u32, String> {
    let parsed = match s.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|e| format!("{s}: {e}"))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::Other(e.to_string()))
}

/// Runs a `pvio vke` command.
pub fn run(command: VkeCommand) -> Result<(), Error> {
    let mut daemon = Daemon::connect()?;
    match command {
        VkeCommand::Node { json: as_json } => {
            let node = daemon.node()?;
            if as_json {
                println!("{}", json(&node)?);
            } else {
                print!("{node}");
            }
        }
        VkeCommand::Members { json: as_json } => {
            let members = daemon.members()?;
            if as_json {
                println!("{}", json(&members)?);
            } else {
                for m in &members {
                    println!("{m}");
                }
            }
        }
        VkeCommand::Configure {
            name,
            deadline,
            json: as_json,
        } => {
            let config = daemon.configure(name.as_deref(), deadline)?;
            if as_json {
                println!("{}", json(&config)?);
            } else {
                println!("{config}");
            }
        }
        VkeCommand::Direct { state } => daemon.set_direct(state == "on")?,
        VkeCommand::Send(args) => send(&mut daemon, &args)?,
        VkeCommand::Serve(args) => serve(&mut daemon, &args)?,
        VkeCommand::Monitor {
            count,
            json: as_json,
        } => {
            daemon.subscribe()?;
            // Tells a script the subscription is in place.
            eprintln!("monitoring vke");
            let mut seen = 0;
            while count.is_none_or(|n| seen < n) {
                let Some(event) = daemon.next_member_event() else {
                    break;
                };
                let member = event?;
                if as_json {
                    println!("{}", json(&member)?);
                } else {
                    println!("{member}");
                }
                seen += 1;
            }
        }
    }
    Ok(())
}

fn send(daemon: &mut Daemon, args: &SendArgs) -> Result<(), Error> {
    let payload = match (&args.payload, args.size) {
        (Some(text), _) => text.clone().into_bytes(),
        (None, Some(n)) if n <= MAX_PAYLOAD_LEN => vec![b'x'; n],
        (None, Some(n)) => {
            return Err(Error::Other(format!(
                "a payload of {n} bytes is over {MAX_PAYLOAD_LEN}"
            )))
        }
        (None, None) => Vec::new(),
    };
    let out = Outgoing {
        kind: Kind::Request,
        service: args.service,
        key: args.key,
        to: if args.broadcast { None } else { args.to },
        request: 0,
        status: 0,
        respond: args.respond,
        deadline_ms: args.deadline,
        payload: &payload,
    };
    let mut rtts = Vec::new();
    for _ in 0..args.count {
        let start = Instant::now();
        let sent = daemon.send(&out)?;
        if !args.respond {
            if args.count == 1 {
                println!("request {} sent", sent.request);
            }
            continue;
        }
        // Responses, then the completion: the node sends it last.
        let mut responses = Vec::new();
        let done = loop {
            match daemon.next()? {
                Event::Message(m) if m.kind == "response" && m.request == sent.request => {
                    responses.push(m)
                }
                Event::Done(d) if d.request == sent.request => break d,
                // A request of a service this socket does not serve cannot come; an old
                // request's stragglers are not ours to print.
                _ => {}
            }
        };
        rtts.push(start.elapsed().as_micros() as u64);
        if args.count > 1 {
            continue;
        }
        if args.json {
            let value = serde_json::json!({
                "request": sent.request,
                "expected": sent.expected,
                "responses": responses,
                "done": done,
            });
            println!("{}", json(&value)?);
        } else {
            println!(
                "request {}: {} ({} expected)",
                sent.request, done.reason, sent.expected
            );
            for r in &responses {
                print_received("  response", r);
            }
            for (node, outcome) in &done.responders {
                println!("  node {node:#x}: {outcome}");
            }
        }
    }
    if args.count > 1 && args.respond {
        rtts.sort_unstable();
        let pick = |q: usize| rtts[(rtts.len() - 1) * q / 100];
        let summary = serde_json::json!({
            "count": rtts.len(),
            "median_us": pick(50),
            "p90_us": pick(90),
            "p99_us": pick(99),
            "min_us": rtts[0],
        });
        println!("{}", json(&summary)?);
    }
    Ok(())
}

fn print_received(what: &str, m: &Received) {
    let text = m.text.as_deref().unwrap_or("<binary>");
    println!(
        "{what} from {:#x}: service {} request {} status {} ({} bytes) {text}",
        m.from,
        m.service,
        m.request,
        m.status,
        m.payload.len()
    );
}

fn serve(daemon: &mut Daemon, args: &ServeArgs) -> Result<(), Error> {
    daemon.bind(args.service)?;
    // Tells a script the service is bound.
    eprintln!("serving {}", args.service);
    let mut served = 0;
    while args.count.is_none_or(|n| served < n) {
        let Event::Message(request) = daemon.next()? else {
            continue;
        };
        if request.kind != "request" {
            continue;
        }
        served += 1;
        if !args.quiet {
            print_received("request", &request);
        }
        if !request.respond || args.silent {
            continue;
        }
        let reply = match &args.reply {
            Some(text) => text.as_bytes().to_vec(),
            None => request.payload.clone(),
        };
        daemon.respond(&request, args.status, &reply)?;
    }
    Ok(())
}
