//! Throughput of 32 KiB buffers through a local channel and over loopback TCP.
//!
//! `cargo bench -p flink-network --bench shuffle`

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flink_network::{GateEvent, InputChannelSpec, NetworkConfig, NetworkEnvironment};
use flink_types::{ExecutionAttemptId, JobId, JobVertexId, ResultPartitionId};
use std::sync::Arc;
use std::time::Duration;

const BUFFER: usize = 32 * 1024;
const BUFFERS_PER_ITER: u32 = 4096; // 128 MiB

fn transfer(
    producer: &Arc<NetworkEnvironment>,
    consumer: &Arc<NetworkEnvironment>,
    id: u32,
    buf: &Bytes,
) {
    let p = ResultPartitionId {
        producer: ExecutionAttemptId {
            job_id: JobId::from_parts(1, 1),
            vertex: JobVertexId(id),
            subtask: 0,
            attempt: 0,
        },
        edge: 0,
    };
    let mut w = producer.create_result_partition(p, 1).unwrap();
    let mut gate = consumer
        .create_input_gate(vec![InputChannelSpec {
            partition: p,
            subpartition: 0,
            producer_data_address: producer.data_address(),
        }])
        .unwrap();
    let buf = buf.clone();
    let t = std::thread::spawn(move || {
        for _ in 0..BUFFERS_PER_ITER {
            w.write(0, buf.clone()).unwrap();
        }
        w.finish().unwrap();
    });
    let mut bytes = 0;
    loop {
        match gate.next_timeout(Some(Duration::from_secs(30))).unwrap() {
            GateEvent::Buffer { data, .. } => bytes += data.len(),
            GateEvent::AllFinished => break,
            GateEvent::ChannelFinished { .. } => {}
            GateEvent::Timeout => panic!("timeout"),
        }
    }
    assert_eq!(bytes, BUFFER * BUFFERS_PER_ITER as usize);
    t.join().unwrap();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let start = |cfg: NetworkConfig| {
        rt.block_on(NetworkEnvironment::start("127.0.0.1", 0, "127.0.0.1", cfg))
            .unwrap()
    };
    let a = start(NetworkConfig::default());
    let b = start(NetworkConfig::default());
    // More credit and queue than Flink's defaults (2 + 8 buffers per channel).
    let wide = NetworkConfig {
        buffers_per_channel: 8,
        floating_buffers_per_gate: 16,
        max_queued_buffers_per_subpartition: 32,
        ..Default::default()
    };
    let (wa, wb) = (start(wide.clone()), start(wide));
    let buf = Bytes::from(vec![7u8; BUFFER]);
    let mut group = c.benchmark_group("shuffle_32k");
    group.throughput(Throughput::Bytes(
        (BUFFER * BUFFERS_PER_ITER as usize) as u64,
    ));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    let mut id = 0;
    group.bench_function("local", |bench| {
        bench.iter(|| {
            id += 1;
            transfer(&a, &a, id, &buf)
        })
    });
    group.bench_function("tcp_loopback", |bench| {
        bench.iter(|| {
            id += 1;
            transfer(&a, &b, id, &buf)
        })
    });
    group.bench_function("tcp_loopback_wide", |bench| {
        bench.iter(|| {
            id += 1;
            transfer(&wa, &wb, id, &buf)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
