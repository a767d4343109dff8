//! End-to-end tests of the shuffle: local channels and real TCP between two
//! environments on 127.0.0.1, in one process.

use bytes::{BufMut, Bytes, BytesMut};
use flink_network::{
    GateEvent, GateWaker, InputChannelSpec, InputGate, NetworkConfig, NetworkEnvironment,
    NetworkError, ResultPartitionWriter,
};
use flink_types::{ExecutionAttemptId, JobId, JobVertexId, ResultPartitionId};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

const LONG: Option<Duration> = Some(Duration::from_secs(20));

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn start(rt: &tokio::runtime::Runtime, cfg: NetworkConfig) -> Arc<NetworkEnvironment> {
    rt.block_on(NetworkEnvironment::start("127.0.0.1", 0, "127.0.0.1", cfg))
        .unwrap()
}

fn pid(job: JobId, vertex: u32, subtask: u32) -> ResultPartitionId {
    ResultPartitionId {
        producer: ExecutionAttemptId {
            job_id: job,
            vertex: JobVertexId(vertex),
            subtask,
            attempt: 0,
        },
        edge: 0,
    }
}

fn spec(p: ResultPartitionId, sub: u32, env: &NetworkEnvironment) -> InputChannelSpec {
    InputChannelSpec {
        partition: p,
        subpartition: sub,
        producer_data_address: env.data_address(),
    }
}

/// A buffer whose content encodes (tag, seq) and has a length varying with seq.
fn make_buffer(tag: u32, seq: u32) -> Bytes {
    let len = 8 + (seq as usize * 37) % 33_000;
    let mut b = BytesMut::with_capacity(len);
    b.put_u32(tag);
    b.put_u32(seq);
    let start = (tag as usize + seq as usize + 8) as u8;
    b.extend((0..len - 8).map(|i| start.wrapping_add(i as u8)));
    b.freeze()
}

fn check_buffer(data: &Bytes, tag: u32, seq: u32) {
    assert_eq!(
        data,
        &make_buffer(tag, seq),
        "buffer {seq} of stream {tag} corrupted"
    );
}

/// Writes `n` buffers to each subpartition (interleaved), then finishes.
fn produce(mut w: ResultPartitionWriter, tag_base: u32, n: u32) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let subs = w.num_subpartitions();
        for seq in 0..n {
            for s in 0..subs {
                w.write(s, make_buffer(tag_base + s, seq)).unwrap();
            }
        }
        w.finish().unwrap();
    })
}

/// Reads until AllFinished; checks order per channel against `tags`.
fn consume_all(mut gate: InputGate, tags: Vec<u32>, n: u32) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut next = vec![0u32; tags.len()];
        let mut finished = vec![false; tags.len()];
        loop {
            match gate.next_timeout(LONG).unwrap() {
                GateEvent::Buffer { channel, data } => {
                    assert!(!finished[channel], "data after end of channel {channel}");
                    check_buffer(&data, tags[channel], next[channel]);
                    next[channel] += 1;
                }
                GateEvent::ChannelFinished { channel } => {
                    assert_eq!(next[channel], n, "channel {channel} finished early");
                    assert!(!finished[channel]);
                    finished[channel] = true;
                }
                GateEvent::AllFinished => break,
                GateEvent::Timeout => panic!("timed out; progress {next:?}"),
            }
        }
        assert!(finished.iter().all(|f| *f));
        assert_eq!(gate.next_timeout(LONG).unwrap(), GateEvent::AllFinished);
    })
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn local_and_remote_transfer_preserves_order_and_content() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let b = start(&rt, NetworkConfig::default());
    let job = JobId::generate();
    let pa = pid(job, 1, 0); // produced on A
    let pb = pid(job, 1, 1); // produced on B
    let n = 600;

    // Consumer 0 on B: mixed remote (from A) and local (from B) channels.
    let gate0 = b
        .create_input_gate(vec![spec(pa, 0, &a), spec(pb, 0, &b), spec(pa, 2, &a)])
        .unwrap();
    // Consumer 1 on A: local from A, remote from B.
    let gate1 = a
        .create_input_gate(vec![spec(pa, 1, &a), spec(pb, 1, &b)])
        .unwrap();
    // Consumer 2 on B: the remaining subpartition of pb.
    let gate2 = b.create_input_gate(vec![spec(pb, 2, &b)]).unwrap();

    let wa = a.create_result_partition(pa, 3).unwrap();
    let wb = b.create_result_partition(pb, 3).unwrap();
    let producers = [produce(wa, 100, n), produce(wb, 200, n)];
    let consumers = [
        consume_all(gate0, vec![100, 200, 102], n),
        consume_all(gate1, vec![101, 201], n),
        consume_all(gate2, vec![202], n),
    ];
    for p in producers {
        p.join().unwrap();
    }
    for c in consumers {
        c.join().unwrap();
    }
    // Fully consumed partitions unregister themselves.
    wait_until("partitions released", || {
        a.stats().registered_partitions == 0 && b.stats().registered_partitions == 0
    });
    let sa = a.stats();
    assert_eq!(sa.buffers_written, 3 * n as u64);
    assert_eq!(sa.buffers_sent, 2 * n as u64, "{sa:?}");
    assert_eq!(sa.queued_buffers, 0);
    let sb = b.stats();
    assert_eq!(sb.buffers_received, 2 * n as u64, "{sb:?}");
    assert_eq!(sb.received_buffers_not_taken, 0);
    // One connection per TM pair and direction: A->B and B->A, each counted at both ends.
    assert_eq!(sa.open_connections, 2, "{sa:?}");
    a.shutdown();
    b.shutdown();
}

fn backpressure_run(remote: bool) {
    let rt = runtime();
    let cfg = NetworkConfig {
        buffers_per_channel: 2,
        floating_buffers_per_gate: 3,
        max_queued_buffers_per_subpartition: 4,
        ..Default::default()
    };
    // Local: only the producer's queue. Remote: plus the receiver's credits.
    let bound = if remote {
        (cfg.buffers_per_channel
            + cfg.floating_buffers_per_gate
            + cfg.max_queued_buffers_per_subpartition) as i64
    } else {
        cfg.max_queued_buffers_per_subpartition as i64
    };
    let producer_env = start(&rt, cfg.clone());
    let consumer_env = if remote {
        start(&rt, cfg.clone())
    } else {
        producer_env.clone()
    };
    let p = pid(JobId::generate(), 1, 0);
    let mut w = producer_env.create_result_partition(p, 1).unwrap();
    let mut gate = consumer_env
        .create_input_gate(vec![spec(p, 0, &producer_env)])
        .unwrap();
    let written = Arc::new(AtomicI64::new(0));
    let taken = Arc::new(AtomicI64::new(0));
    let n = 150;
    let wr = written.clone();
    let producer = std::thread::spawn(move || {
        for i in 0..n {
            w.write(0, make_buffer(7, i)).unwrap();
            wr.fetch_add(1, Ordering::SeqCst);
        }
        w.finish().unwrap();
    });
    let mut max_in_flight = 0;
    let mut max_receiver = 0;
    let mut max_queued = 0;
    let mut seq = 0;
    loop {
        // Slow consumer.
        std::thread::sleep(Duration::from_millis(2));
        let in_flight = written.load(Ordering::SeqCst) - taken.load(Ordering::SeqCst);
        max_in_flight = max_in_flight.max(in_flight);
        max_receiver = max_receiver.max(consumer_env.stats().received_buffers_not_taken);
        max_queued = max_queued.max(producer_env.stats().queued_buffers);
        match gate.next_timeout(LONG).unwrap() {
            GateEvent::Buffer { data, .. } => {
                check_buffer(&data, 7, seq);
                seq += 1;
                taken.fetch_add(1, Ordering::SeqCst);
            }
            GateEvent::ChannelFinished { .. } => {}
            GateEvent::AllFinished => break,
            GateEvent::Timeout => panic!("timeout"),
        }
    }
    producer.join().unwrap();
    assert_eq!(seq, n);
    // +1: the writer's counter may lag one completed write behind.
    assert!(
        max_in_flight <= bound + 1,
        "in flight {max_in_flight} exceeds bound {bound}"
    );
    // The producer really was held back (the bound was reached, not just respected).
    assert!(
        max_in_flight >= bound - 2,
        "producer never got ahead: {max_in_flight}"
    );
    assert!(max_queued <= cfg.max_queued_buffers_per_subpartition as u64);
    if remote {
        assert!(
            max_receiver <= (cfg.buffers_per_channel + cfg.floating_buffers_per_gate) as u64,
            "receiver held {max_receiver} buffers"
        );
        // The producer's backlog made the gate lend floating credit.
        assert!(
            max_receiver > cfg.buffers_per_channel as u64,
            "floating buffers never used: {max_receiver}"
        );
    }
}

#[test]
fn backpressure_bounds_in_flight_buffers_remote() {
    backpressure_run(true);
}

#[test]
fn backpressure_bounds_in_flight_buffers_local() {
    backpressure_run(false);
}

#[test]
fn consumer_may_request_before_producer_registers() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let b = start(&rt, NetworkConfig::default());
    let job = JobId::generate();
    let pa = pid(job, 1, 0);
    let pb = pid(job, 1, 1);
    let gate = b
        .create_input_gate(vec![spec(pa, 0, &a), spec(pb, 0, &b)])
        .unwrap();
    let consumer = consume_all(gate, vec![10, 20], 50);
    std::thread::sleep(Duration::from_millis(300));
    let p1 = produce(a.create_result_partition(pa, 1).unwrap(), 10, 50);
    let p2 = produce(b.create_result_partition(pb, 1).unwrap(), 20, 50);
    p1.join().unwrap();
    p2.join().unwrap();
    consumer.join().unwrap();
}

#[test]
fn partition_never_registered_times_out_with_partition_not_found() {
    let rt = runtime();
    let cfg = NetworkConfig {
        partition_request_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let a = start(&rt, cfg.clone());
    let b = start(&rt, cfg);
    let job = JobId::generate();
    for (producer, label) in [(&a, "remote"), (&b, "local")] {
        let p = pid(job, 9, if label == "remote" { 0 } else { 1 });
        let mut gate = b.create_input_gate(vec![spec(p, 0, producer)]).unwrap();
        let started = Instant::now();
        let err = gate.next_timeout(LONG).unwrap_err();
        let elapsed = started.elapsed();
        match &err {
            NetworkError::PartitionNotFound { partition, address } => {
                assert_eq!(partition, &p, "{label}");
                assert_eq!(address, &producer.data_address(), "{label}");
            }
            other => panic!("{label}: expected PartitionNotFound, got {other}"),
        }
        assert!(err.to_string().contains(&p.to_string()));
        assert!(
            elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(5),
            "{label}: {elapsed:?}"
        );
    }
}

#[test]
fn blocked_channel_is_held_back_until_unblock() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let b = start(&rt, NetworkConfig::default());
    let job = JobId::generate();
    let pa = pid(job, 1, 0);
    let pb = pid(job, 1, 1);
    // Channel 0 remote, channel 1 local, channel 2 local (blocked too).
    let pc = pid(job, 1, 2);
    let mut gate = b
        .create_input_gate(vec![spec(pa, 0, &a), spec(pb, 0, &b), spec(pc, 0, &b)])
        .unwrap();
    let mut wa = a.create_result_partition(pa, 1).unwrap();
    let mut wb = b.create_result_partition(pb, 1).unwrap();
    let mut wc = b.create_result_partition(pc, 1).unwrap();
    gate.block_channel(0);
    gate.block_channel(2);
    for i in 0..2 {
        wa.write(0, make_buffer(0, i)).unwrap();
        wb.write(0, make_buffer(1, i)).unwrap();
        wc.write(0, make_buffer(2, i)).unwrap();
    }
    wait_until("remote buffers arrived", || b.stats().buffers_received == 2);
    let mut got = Vec::new();
    loop {
        match gate.next_timeout(Some(Duration::from_millis(200))).unwrap() {
            GateEvent::Buffer { channel, data } => got.push((channel, data)),
            GateEvent::Timeout => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got.len(), 2, "only the unblocked channel delivers");
    assert!(got.iter().all(|(c, _)| *c == 1));
    // Credits of the blocked remote channel were not returned.
    assert_eq!(b.stats().received_buffers_not_taken, 2);
    gate.unblock_all();
    let mut per_channel: HashMap<usize, u32> = HashMap::new();
    for _ in 0..4 {
        match gate.next_timeout(LONG).unwrap() {
            GateEvent::Buffer { channel, data } => {
                let seq = per_channel.entry(channel).or_default();
                check_buffer(&data, channel as u32, *seq);
                *seq += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(per_channel.get(&0), Some(&2));
    assert_eq!(per_channel.get(&2), Some(&2));
    assert_eq!(gate.poll().unwrap(), GateEvent::Timeout);
}

#[test]
fn producer_shutdown_mid_stream_fails_consumer_promptly() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let b = start(&rt, NetworkConfig::default());
    let p = pid(JobId::generate(), 1, 0);
    let mut w = a.create_result_partition(p, 1).unwrap();
    let mut gate = b.create_input_gate(vec![spec(p, 0, &a)]).unwrap();
    let writer = std::thread::spawn(move || {
        let mut i = 0;
        loop {
            if let Err(e) = w.write(0, make_buffer(1, i)) {
                return e;
            }
            i += 1;
        }
    });
    for i in 0..20 {
        match gate.next_timeout(LONG).unwrap() {
            GateEvent::Buffer { data, .. } => check_buffer(&data, 1, i),
            other => panic!("unexpected {other:?}"),
        }
    }
    a.shutdown();
    let started = Instant::now();
    let err = loop {
        match gate.next_timeout(LONG) {
            Ok(GateEvent::Buffer { .. }) => continue,
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) => break e,
        }
    };
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(
            err,
            NetworkError::ConnectionLost { .. } | NetworkError::Released { .. }
        ),
        "{err}"
    );
    let werr = writer.join().unwrap();
    assert!(matches!(werr, NetworkError::Released { .. }), "{werr}");
}

#[test]
fn cancel_unblocks_blocked_writer_and_reader() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let p = pid(JobId::generate(), 1, 0);
    let mut w = a.create_result_partition(p, 1).unwrap();
    let wc = w.canceller();
    let writer = std::thread::spawn(move || {
        let mut i = 0;
        loop {
            if let Err(e) = w.write(0, make_buffer(1, i)) {
                return (e, i);
            }
            i += 1;
        }
    });
    // No consumer: the writer fills the queue and blocks.
    wait_until("writer blocked", || a.stats().queued_buffers == 10);
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    wc.cancel();
    let (err, written) = writer.join().unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "cancel did not wake the blocked call"
    );
    assert!(matches!(err, NetworkError::Cancelled), "{err}");
    assert_eq!(written, 10);

    let q = pid(JobId::generate(), 2, 0);
    let _w2 = a.create_result_partition(q, 1).unwrap();
    let mut gate = a.create_input_gate(vec![spec(q, 0, &a)]).unwrap();
    let gc = gate.canceller();
    let reader = std::thread::spawn(move || gate.next_timeout(None));
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    gc.cancel();
    let r = reader.join().unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "cancel did not wake the blocked call"
    );
    assert!(matches!(r, Err(NetworkError::Cancelled)), "{r:?}");
}

#[test]
fn consumer_going_away_fails_blocked_writer() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let b = start(&rt, NetworkConfig::default());
    for remote in [true, false] {
        let consumer_env = if remote { &b } else { &a };
        let p = pid(JobId::generate(), 1, 0);
        let mut w = a.create_result_partition(p, 1).unwrap();
        let mut gate = consumer_env
            .create_input_gate(vec![spec(p, 0, &a)])
            .unwrap();
        let writer = std::thread::spawn(move || {
            let mut i = 0;
            loop {
                if let Err(e) = w.write(0, make_buffer(1, i)) {
                    return e;
                }
                i += 1;
            }
        });
        assert!(matches!(
            gate.next_timeout(LONG).unwrap(),
            GateEvent::Buffer { .. }
        ));
        drop(gate);
        let err = writer.join().unwrap();
        assert!(matches!(err, NetworkError::Released { .. }), "{err}");
    }
}

#[test]
fn release_partitions_of_fails_writer_and_local_reader() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let p = pid(JobId::generate(), 1, 0);
    let mut w = a.create_result_partition(p, 2).unwrap();
    let mut gate = a.create_input_gate(vec![spec(p, 1, &a)]).unwrap();
    let writer = std::thread::spawn(move || {
        let mut i = 0;
        loop {
            // Subpartition 0 has no consumer: this blocks once full.
            if let Err(e) = w.write(0, make_buffer(1, i)) {
                return e;
            }
            i += 1;
        }
    });
    let reader = std::thread::spawn(move || gate.next_timeout(LONG));
    wait_until("writer blocked", || a.stats().queued_buffers == 10);
    a.release_partitions_of(p.producer);
    assert!(matches!(
        writer.join().unwrap(),
        NetworkError::Released { .. }
    ));
    assert!(matches!(
        reader.join().unwrap(),
        Err(NetworkError::Released { .. })
    ));
    assert_eq!(a.stats().registered_partitions, 0);
    assert_eq!(a.stats().queued_buffers, 0);
}

#[test]
fn release_job_fails_remote_gate() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let b = start(&rt, NetworkConfig::default());
    let job = JobId::generate();
    let p = pid(job, 1, 0);
    let mut w = a.create_result_partition(p, 1).unwrap();
    let mut gate = b.create_input_gate(vec![spec(p, 0, &a)]).unwrap();
    w.write(0, make_buffer(1, 0)).unwrap();
    // Once a buffer arrived, the subscription is established.
    assert!(matches!(
        gate.next_timeout(LONG).unwrap(),
        GateEvent::Buffer { .. }
    ));
    assert_eq!(gate.poll().unwrap(), GateEvent::Timeout);
    // Releasing on the producer side reaches the remote consumer.
    a.release_job(job);
    let err = gate.next_timeout(LONG).unwrap_err();
    assert!(matches!(err, NetworkError::Released { .. }), "{err}");
}

#[test]
fn malformed_frames_close_only_that_connection() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let b = start(&rt, NetworkConfig::default());
    let addr = a.data_address();
    let expect_closed = |mut s: std::net::TcpStream| {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("server did not close the connection: {other:?}"),
        }
    };
    // 1. Wrong preamble.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    expect_closed(s);
    // 2. Right preamble, absurd frame length (must not allocate 4 GiB).
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(b"FLRSNET1").unwrap();
    s.write_all(&[0xff, 0xff, 0xff, 0xf0, 1, 2, 3]).unwrap();
    expect_closed(s);
    // 3. Right preamble, unknown message type.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(b"FLRSNET1").unwrap();
    s.write_all(&[0, 0, 0, 1, 0x7e]).unwrap();
    expect_closed(s);
    // 4. AddCredit with a short body.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(b"FLRSNET1").unwrap();
    s.write_all(&[0, 0, 0, 3, 2, 0, 0]).unwrap();
    expect_closed(s);
    // The server still serves well-behaved clients.
    let p = pid(JobId::generate(), 1, 0);
    let gate = b.create_input_gate(vec![spec(p, 0, &a)]).unwrap();
    let consumer = consume_all(gate, vec![5], 100);
    produce(a.create_result_partition(p, 1).unwrap(), 5, 100)
        .join()
        .unwrap();
    consumer.join().unwrap();
}

#[test]
fn connect_failure_is_reported() {
    let rt = runtime();
    let cfg = NetworkConfig {
        connect_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let b = start(&rt, cfg);
    // A port that was just bound and closed again: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = pid(JobId::generate(), 1, 0);
    let mut gate = b
        .create_input_gate(vec![InputChannelSpec {
            partition: p,
            subpartition: 0,
            producer_data_address: format!("127.0.0.1:{port}"),
        }])
        .unwrap();
    let err = gate.next_timeout(LONG).unwrap_err();
    assert!(matches!(err, NetworkError::Connect { .. }), "{err}");
    assert!(err.to_string().contains(&port.to_string()));
}

#[test]
fn fairness_across_channels() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let job = JobId::generate();
    let (p0, p1) = (pid(job, 1, 0), pid(job, 1, 1));
    let mut w0 = a.create_result_partition(p0, 1).unwrap();
    let mut w1 = a.create_result_partition(p1, 1).unwrap();
    let mut gate = a
        .create_input_gate(vec![spec(p0, 0, &a), spec(p1, 0, &a)])
        .unwrap();
    for i in 0..8 {
        w0.write(0, make_buffer(0, i)).unwrap();
        w1.write(0, make_buffer(1, i)).unwrap();
    }
    let mut order = Vec::new();
    for _ in 0..8 {
        if let GateEvent::Buffer { channel, .. } = gate.next_timeout(LONG).unwrap() {
            order.push(channel);
        }
    }
    let zeros = order.iter().filter(|c| **c == 0).count();
    assert_eq!(zeros, 4, "round robin expected, got {order:?}");
}

#[test]
fn gate_waker_wakes_on_any_gate() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let b = start(&rt, NetworkConfig::default());
    let job = JobId::generate();
    let (p0, p1) = (pid(job, 1, 0), pid(job, 1, 1));
    let w0 = a.create_result_partition(p0, 1).unwrap();
    let w1 = b.create_result_partition(p1, 1).unwrap();
    // Gate 0 local, gate 1 remote.
    let mut gates = [
        a.create_input_gate(vec![spec(p0, 0, &a)]).unwrap(),
        a.create_input_gate(vec![spec(p1, 0, &b)]).unwrap(),
    ];
    let waker = GateWaker::new();
    for g in gates.iter_mut() {
        g.set_waker(waker.clone());
    }
    let epoch = waker.epoch();
    assert!(
        !waker.wait(epoch, Some(Duration::from_millis(50))),
        "spurious wake-up"
    );
    let mut writers = [Some(w0), Some(w1)];
    for which in [1usize, 0] {
        let epoch = waker.epoch();
        for g in gates.iter_mut() {
            assert_eq!(g.poll().unwrap(), GateEvent::Timeout);
        }
        let mut w = writers[which].take().unwrap();
        let buf = make_buffer(which as u32, 0);
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            w.write(0, buf).unwrap();
            w
        });
        let t = Instant::now();
        assert!(waker.wait(epoch, LONG), "no wake-up");
        assert!(t.elapsed() < Duration::from_secs(5));
        match gates[which].poll().unwrap() {
            GateEvent::Buffer { data, .. } => check_buffer(&data, which as u32, 0),
            other => panic!("gate {which}: {other:?}"),
        }
        writers[which] = Some(writer.join().unwrap());
    }
}

/// Small buffers so that the test stays fast in debug builds.
fn small_buffer(tag: u32, seq: u32) -> Bytes {
    let mut b = BytesMut::with_capacity(8 + (seq % 64) as usize);
    b.put_u32(tag);
    b.put_u32(seq);
    b.put_bytes(tag as u8 ^ seq as u8, (seq % 64) as usize);
    b.freeze()
}

#[test]
fn many_producers_and_mixed_gates() {
    let rt = runtime();
    let cfg = NetworkConfig {
        buffers_per_channel: 1,
        floating_buffers_per_gate: 2,
        max_queued_buffers_per_subpartition: 2,
        ..Default::default()
    };
    let envs = [start(&rt, cfg.clone()), start(&rt, cfg)];
    let job = JobId::generate();
    let (producers, consumers, n) = (4u32, 4u32, 400u32);
    // Producer i runs on envs[i % 2]; consumer j on envs[j % 2] reads
    // subpartition j of every producer (all-to-all, mixed local/remote).
    let mut gates = Vec::new();
    for j in 0..consumers {
        let env = &envs[(j % 2) as usize];
        let specs = (0..producers)
            .map(|i| spec(pid(job, 1, i), j, &envs[(i % 2) as usize]))
            .collect();
        gates.push(env.create_input_gate(specs).unwrap());
    }
    let mut threads = Vec::new();
    for (j, mut gate) in gates.into_iter().enumerate() {
        threads.push(std::thread::spawn(move || {
            let mut next = vec![0u32; producers as usize];
            loop {
                match gate.next_timeout(LONG).unwrap() {
                    GateEvent::Buffer { channel, data } => {
                        let tag = channel as u32 * 100 + j as u32;
                        assert_eq!(data, small_buffer(tag, next[channel]));
                        next[channel] += 1;
                    }
                    GateEvent::ChannelFinished { channel } => assert_eq!(next[channel], n),
                    GateEvent::AllFinished => break,
                    GateEvent::Timeout => panic!("timeout at {next:?}"),
                }
            }
        }));
    }
    for i in 0..producers {
        let mut w = envs[(i % 2) as usize]
            .create_result_partition(pid(job, 1, i), consumers)
            .unwrap();
        threads.push(std::thread::spawn(move || {
            for seq in 0..n {
                for j in 0..consumers {
                    w.write(j, small_buffer(i * 100 + j, seq)).unwrap();
                }
            }
            w.finish().unwrap();
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    wait_until("all partitions consumed", || {
        envs.iter().all(|e| e.stats().registered_partitions == 0)
    });
}

#[test]
fn api_types_are_send_and_sync_where_needed() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send_sync::<NetworkEnvironment>();
    send_sync::<flink_network::Canceller>();
    send_sync::<GateWaker>();
    send::<InputGate>();
    send::<ResultPartitionWriter>();
    send_sync::<NetworkError>();
}

#[test]
fn invalid_subpartition_is_a_clear_error() {
    let rt = runtime();
    let a = start(&rt, NetworkConfig::default());
    let b = start(&rt, NetworkConfig::default());
    let p = pid(JobId::generate(), 1, 0);
    let _w = a.create_result_partition(p, 2).unwrap();
    // Local: rejected at creation.
    let err = a.create_input_gate(vec![spec(p, 5, &a)]).unwrap_err();
    assert!(err.to_string().contains("subpartition 5"), "{err}");
    // Remote: reported by the producer.
    let mut gate = b.create_input_gate(vec![spec(p, 7, &a)]).unwrap();
    let err = gate.next_timeout(LONG).unwrap_err();
    assert!(matches!(err, NetworkError::Remote { .. }), "{err}");
    assert!(err.to_string().contains("subpartition 7"), "{err}");
    // Writer side.
    let mut w = a
        .create_result_partition(pid(JobId::generate(), 1, 0), 1)
        .unwrap();
    assert!(matches!(
        w.write(1, Bytes::new()),
        Err(NetworkError::InvalidArgument(_))
    ));
    w.finish().unwrap();
    assert!(matches!(
        w.write(0, Bytes::new()),
        Err(NetworkError::InvalidArgument(_))
    ));
}
