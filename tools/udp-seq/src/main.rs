// SPDX-License-Identifier: GPL-2.0

//! `udp-seq send` sends a sequence-numbered UDP stream at a fixed rate; `udp-seq recv` receives
//! it and prints, as one JSON line, how many datagrams were lost and the longest outage.

use clap::{Parser, Subcommand};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use udp_seq::{decode, encode, Tally};

#[derive(Parser)]
#[command(about = "Sequence-numbered UDP stream and loss-window receiver")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sends `rate * seconds` datagrams numbered from 0 and stamped with their send time.
    Send {
        /// Destination address.
        #[arg(long)]
        to: SocketAddr,
        /// Datagrams per second.
        #[arg(long, default_value_t = 10_000)]
        rate: u64,
        /// How long to send.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Datagram payload size in bytes (at least 16).
        #[arg(long, default_value_t = 64)]
        size: usize,
    },
    /// Receives a stream until it has been quiet for a while, then prints its figures.
    Recv {
        /// Address to listen on.
        #[arg(long)]
        bind: SocketAddr,
        /// Datagrams per second the sender uses.
        #[arg(long, default_value_t = 10_000)]
        rate: u64,
        /// How long the sender sends.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Stop after this long without datagrams, once the stream started.
        #[arg(long, default_value_t = 1.0)]
        idle: f64,
    },
}

/// The wall clock in ns: sender and receiver run on one machine and share it.
fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn send(to: SocketAddr, rate: u64, seconds: f64, size: usize) -> std::io::Result<()> {
    let sock = UdpSocket::bind(if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" })?;
    sock.connect(to)?;
    let total = (rate as f64 * seconds) as u64;
    let mut buf = vec![0u8; size.max(udp_seq::HEADER_LEN)];
    let start = Instant::now();
    let (mut seq, mut errors) = (0u64, 0u64);
    // A sender that cannot keep up stops at the end of its time anyway.
    let deadline = Duration::from_secs_f64(seconds + 0.5);
    while seq < total && start.elapsed() < deadline {
        // Catch up to where the schedule says we should be, then sleep a little.
        let due = ((start.elapsed().as_secs_f64() * rate as f64) as u64 + 1).min(total);
        while seq < due {
            encode(seq, now_ns(), &mut buf).ok_or(std::io::ErrorKind::InvalidInput)?;
            if sock.send(&buf).is_err() {
                errors += 1;
            }
            seq += 1;
            // Far behind schedule (a rate above what the path carries), the backlog alone
            // would outlast the deadline: look at the clock now and then.
            if seq % 256 == 0 && start.elapsed() >= deadline {
                break;
            }
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let took = start.elapsed().as_secs_f64();
    println!(
        "{{\"sent\":{seq},\"send_errors\":{errors},\"seconds\":{took:.3},\"rate\":{:.0}}}",
        seq as f64 / took
    );
    Ok(())
}

fn recv(bind: SocketAddr, rate: u64, seconds: f64, idle: f64) -> std::io::Result<()> {
    let sock = UdpSocket::bind(bind)?;
    let expected = (rate as f64 * seconds) as u64;
    let mut tally = Tally::new(expected);
    let mut buf = [0u8; 2048];
    let idle = Duration::from_secs_f64(idle);
    // Wait long for the first datagram, then stop after `idle` of silence.
    sock.set_read_timeout(Some(Duration::from_secs(30)))?;
    let (mut first, mut last) = (None, Instant::now());
    loop {
        match sock.recv(&mut buf) {
            Ok(n) => {
                if let Some((seq, sent)) = buf.get(..n).and_then(decode) {
                    tally.record(seq, sent);
                }
                last = Instant::now();
                if first.is_none() {
                    first = Some(last);
                    sock.set_read_timeout(Some(idle))?;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break
            }
            Err(e) => return Err(e),
        }
    }
    let s = tally.summary();
    // The outage by send times; at the nominal rate as a fallback when the losses touch an end.
    let window_ms = if s.longest_outage_ns > 0 {
        s.longest_outage_ns as f64 / 1e6
    } else {
        s.longest_gap as f64 * 1000.0 / rate as f64
    };
    // The rate achieved between the first and the last arrival.
    let span = first.map_or(0.0, |f| last.duration_since(f).as_secs_f64());
    let pps = if span > 0.0 {
        s.received as f64 / span
    } else {
        0.0
    };
    println!(
        "{{\"expected\":{},\"received\":{},\"lost\":{},\"longest_gap\":{},\"loss_window_ms\":{window_ms:.2},\"duplicates\":{},\"out_of_range\":{},\"pps\":{pps:.0}}}",
        s.expected, s.received, s.lost, s.longest_gap, s.duplicates, s.out_of_range
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Send {
            to,
            rate,
            seconds,
            size,
        } => send(to, rate, seconds, size),
        Command::Recv {
            bind,
            rate,
            seconds,
            idle,
        } => recv(bind, rate, seconds, idle),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("udp-seq: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
