//! The DataStream API: [`StreamExecutionEnvironment`], [`DataStream`] and
//! [`KeyedStream`]. Each call adds a node to the program's stream graph; no
//! data moves until the job runs. A program must build the same graph every
//! time it runs (it is rebuilt in every TaskManager to obtain the operator
//! closures), so it must not depend on wall-clock time or randomness.

pub mod windowing;

use crate::graph::{
    ChainingStrategy, ExecutionSettings, NodeKind, NodeOps, OneInputNodeOps, Partitioning,
    SourceNodeOps, StreamEdge, StreamGraph, StreamNode, TwoInputNodeOps, TypeOps,
};
use crate::operators::basic::{Collector, FilterOperator, FlatMapOperator, MapOperator};
use crate::operators::keyed::{Key, KeySelector, ReduceOperator, stable_hash};
use crate::operators::sinks::{CollectSink, DiscardSink, PrintSink, TextFileSink};
use crate::operators::sources::{
    CollectionSource, GeneratorSource, SocketTextSource, TextFileSource,
};
use crate::operators::watermarks::{TimestampsAndWatermarksOperator, WatermarkStrategy};
use crate::runtime::chain::Either;
use crate::runtime::operator::{Chained, RuntimeContext, StreamOperator};
use crate::runtime::output::{KeyHashFn, Output};
use crate::runtime::source::Source;
use flink_types::{RuntimeMode, ShipStrategy};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::cell::RefCell;
use std::fmt::{Debug, Display};
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

/// What a stream element must be: serializable (to cross the network and
/// be checkpointed), cloneable (fan-out) and sendable to task threads.
pub trait Data: Serialize + DeserializeOwned + Clone + Send + 'static {}
impl<T: Serialize + DeserializeOwned + Clone + Send + 'static> Data for T {}

struct Builder {
    nodes: Vec<StreamNode>,
    edges: Vec<StreamEdge>,
    settings: ExecutionSettings,
    args: Vec<String>,
}

/// The entry point of a program (Flink `StreamExecutionEnvironment`).
#[derive(Clone)]
pub struct StreamExecutionEnvironment {
    inner: Rc<RefCell<Builder>>,
}

impl StreamExecutionEnvironment {
    /// A new environment with the given settings and program arguments.
    pub fn new(settings: ExecutionSettings, args: Vec<String>) -> Self {
        Self {
            inner: Rc::new(RefCell::new(Builder {
                nodes: Vec::new(),
                edges: Vec::new(),
                settings,
                args,
            })),
        }
    }

    /// The program's arguments (after the bundle on the command line).
    pub fn args(&self) -> Vec<String> {
        self.inner.borrow().args.clone()
    }

    /// The value of `--name <value>` (or `--name=value`) in the program arguments.
    pub fn arg(&self, name: &str) -> Option<String> {
        let args = self.args();
        let flag = format!("--{name}");
        let prefix = format!("--{name}=");
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if *a == flag {
                return it.next().cloned();
            }
            if let Some(v) = a.strip_prefix(&prefix) {
                return Some(v.to_string());
            }
        }
        None
    }

    /// A job configuration value (from config.yaml and `-D`).
    pub fn config_value(&self, key: &str) -> Option<String> {
        self.inner.borrow().settings.config.get(key).cloned()
    }

    /// Sets the default parallelism.
    pub fn set_parallelism(&self, p: u32) -> &Self {
        self.inner.borrow_mut().settings.parallelism = p.max(1);
        self
    }
    /// The default parallelism.
    pub fn parallelism(&self) -> u32 {
        self.inner.borrow().settings.parallelism
    }
    /// Sets the max parallelism (number of key groups).
    pub fn set_max_parallelism(&self, p: u32) -> &Self {
        self.inner.borrow_mut().settings.max_parallelism = Some(p.max(1));
        self
    }
    /// Streaming or batch.
    pub fn set_runtime_mode(&self, mode: RuntimeMode) -> &Self {
        self.inner.borrow_mut().settings.runtime_mode = mode;
        self
    }
    /// Disables operator chaining for the whole job.
    pub fn disable_operator_chaining(&self) -> &Self {
        self.inner.borrow_mut().settings.chaining = false;
        self
    }
    /// Enables periodic checkpoints (`execution.checkpointing.interval`).
    pub fn enable_checkpointing(&self, interval: std::time::Duration) -> &Self {
        self.inner.borrow_mut().settings.config.insert(
            "execution.checkpointing.interval".into(),
            format!("{} ms", interval.as_millis()),
        );
        self
    }
    /// Sets the job name.
    pub fn set_job_name(&self, name: &str) -> &Self {
        self.inner.borrow_mut().settings.job_name = name.to_string();
        self
    }

    /// Finishes building: the stream graph.
    pub fn into_stream_graph(self) -> StreamGraph {
        let b = match Rc::try_unwrap(self.inner) {
            Ok(cell) => cell.into_inner(),
            Err(rc) => {
                let mut b = rc.borrow_mut();
                Builder {
                    nodes: std::mem::take(&mut b.nodes),
                    edges: std::mem::take(&mut b.edges),
                    settings: b.settings.clone(),
                    args: b.args.clone(),
                }
            }
        };
        StreamGraph {
            nodes: b.nodes,
            edges: b.edges,
            settings: b.settings,
        }
    }

    fn add_node(
        &self,
        name: &str,
        kind: NodeKind,
        ops: Arc<dyn NodeOps>,
        non_parallel: bool,
    ) -> u32 {
        let mut b = self.inner.borrow_mut();
        let id = b.nodes.len() as u32;
        b.nodes.push(StreamNode {
            id,
            name: name.to_string(),
            uid: None,
            parallelism: None,
            max_parallelism: None,
            slot_sharing_group: None,
            chaining: ChainingStrategy::Always,
            kind,
            ops,
            non_parallel,
        });
        id
    }

    /// Adds a source (Flink `addSource`/`fromSource`); `factory` creates the
    /// source of each subtask.
    pub fn add_source<T, S, F>(&self, name: &str, factory: F) -> DataStream<T>
    where
        T: Data,
        S: Source<T> + 'static,
        F: Fn(&RuntimeContext) -> S + Send + Sync + 'static,
    {
        self.add_source_inner(name, factory, false)
    }

    fn add_source_inner<T, S, F>(&self, name: &str, factory: F, non_parallel: bool) -> DataStream<T>
    where
        T: Data,
        S: Source<T> + 'static,
        F: Fn(&RuntimeContext) -> S + Send + Sync + 'static,
    {
        let ops = SourceNodeOps::<T> {
            factory: Arc::new(move |ctx| Box::new(factory(ctx)) as Box<dyn Source<T>>),
            out: TypeOps::default(),
        };
        let id = self.add_node(name, NodeKind::Source, Arc::new(ops), non_parallel);
        DataStream::from_node(self.clone(), id)
    }

    /// A stream of the given elements (parallelism 1).
    pub fn from_collection<T: Data + Sync>(&self, items: Vec<T>) -> DataStream<T> {
        let items = Arc::new(items);
        self.add_source_inner(
            "Collection Source",
            move |_| CollectionSource::new(items.clone()),
            true,
        )
    }

    /// The lines of a text file.
    pub fn read_text_file(&self, path: &str) -> DataStream<String> {
        let path = path.to_string();
        self.add_source("Text File Source", move |_| TextFileSource::new(&path))
    }

    /// Lines read from a TCP socket (parallelism 1).
    pub fn socket_text_stream(&self, host: &str, port: u16) -> DataStream<String> {
        let host = host.to_string();
        self.add_source_inner(
            "Socket Stream",
            move |_| SocketTextSource::new(&host, port),
            true,
        )
    }

    /// Records generated from their index `0..count` (`None`: unbounded) at up
    /// to `rate` records/s in total (`None`: unthrottled).
    pub fn from_generator<T, F>(&self, count: Option<u64>, rate: Option<f64>, f: F) -> DataStream<T>
    where
        T: Data,
        F: Fn(u64) -> T + Clone + Send + Sync + 'static,
    {
        self.add_source("Data Generator", move |_| {
            GeneratorSource::new(count, rate, f.clone())
        })
    }

    /// The numbers `from..=to`.
    pub fn from_sequence(&self, from: u64, to: u64) -> DataStream<u64> {
        let count = to.saturating_sub(from).saturating_add(1);
        self.from_generator(Some(count), None, move |i| from + i)
    }
}

/// An upstream port of a stream: producer node plus partitioning.
#[derive(Clone)]
struct Port {
    node: u32,
    partitioning: Partitioning,
    key_hash: Option<Arc<dyn Any + Send + Sync>>,
}

/// A stream of `T` (Flink `DataStream`). Unions hold several upstream ports.
pub struct DataStream<T> {
    env: StreamExecutionEnvironment,
    ports: Vec<Port>,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for DataStream<T> {
    fn clone(&self) -> Self {
        Self {
            env: self.env.clone(),
            ports: self.ports.clone(),
            _t: PhantomData,
        }
    }
}

impl<T: Data> DataStream<T> {
    fn from_node(env: StreamExecutionEnvironment, node: u32) -> Self {
        Self {
            env,
            ports: vec![Port {
                node,
                partitioning: Partitioning::Default,
                key_hash: None,
            }],
            _t: PhantomData,
        }
    }

    fn last_node(&self) -> u32 {
        self.ports.last().map(|p| p.node).unwrap_or(0)
    }

    fn with_node(self, f: impl FnOnce(&mut StreamNode)) -> Self {
        {
            let mut b = self.env.inner.borrow_mut();
            let id = self.last_node() as usize;
            if let Some(n) = b.nodes.get_mut(id) {
                f(n);
            }
        }
        self
    }

    /// Sets the parallelism of the operator that produced this stream.
    pub fn set_parallelism(self, p: u32) -> Self {
        self.with_node(|n| n.parallelism = Some(p.max(1)))
    }
    /// Sets the max parallelism of the operator that produced this stream.
    pub fn set_max_parallelism(self, p: u32) -> Self {
        self.with_node(|n| n.max_parallelism = Some(p.max(1)))
    }
    /// Names the operator.
    pub fn name(self, name: &str) -> Self {
        let name = name.to_string();
        self.with_node(|n| n.name = name)
    }
    /// Sets the operator's uid, which identifies its state in savepoints.
    pub fn uid(self, uid: &str) -> Self {
        let uid = uid.to_string();
        self.with_node(|n| n.uid = Some(uid))
    }
    /// Puts the operator into a slot sharing group.
    pub fn slot_sharing_group(self, group: &str) -> Self {
        let group = group.to_string();
        self.with_node(|n| n.slot_sharing_group = Some(group))
    }
    /// Never chain this operator.
    pub fn disable_chaining(self) -> Self {
        self.with_node(|n| n.chaining = ChainingStrategy::Never)
    }
    /// Start a new chain at this operator.
    pub fn start_new_chain(self) -> Self {
        self.with_node(|n| n.chaining = ChainingStrategy::Head)
    }

    fn partition(mut self, s: ShipStrategy) -> Self {
        for p in &mut self.ports {
            p.partitioning = Partitioning::Explicit(s);
            p.key_hash = None;
        }
        self
    }
    /// Round-robin to all downstream subtasks.
    pub fn rebalance(self) -> Self {
        self.partition(ShipStrategy::Rebalance)
    }
    /// Round-robin to a local subset of downstream subtasks.
    pub fn rescale(self) -> Self {
        self.partition(ShipStrategy::Rescale)
    }
    /// Every record to every downstream subtask.
    pub fn broadcast(self) -> Self {
        self.partition(ShipStrategy::Broadcast)
    }
    /// To the downstream subtask with the same index.
    pub fn forward(self) -> Self {
        self.partition(ShipStrategy::Forward)
    }
    /// Everything to downstream subtask 0.
    pub fn global(self) -> Self {
        self.partition(ShipStrategy::Global)
    }
    /// Alias of [`rebalance`](Self::rebalance).
    pub fn shuffle(self) -> Self {
        self.rebalance()
    }

    /// The union of this stream and others of the same type.
    pub fn union(mut self, others: impl IntoIterator<Item = DataStream<T>>) -> Self {
        for o in others {
            self.ports.extend(o.ports);
        }
        self
    }

    fn connect_ports(&self, target: u32, input: u32) {
        let mut b = self.env.inner.borrow_mut();
        for p in &self.ports {
            b.edges.push(StreamEdge {
                source: p.node,
                target,
                partitioning: p.partitioning,
                target_input: input,
                key_hash: p.key_hash.clone(),
            });
        }
    }

    /// Applies a custom one-input operator; `factory` creates one instance per subtask.
    pub fn transform<U, Op, F>(&self, name: &str, factory: F) -> DataStream<U>
    where
        U: Data,
        Op: StreamOperator<T, U> + 'static,
        F: Fn(&RuntimeContext) -> Op + Send + Sync + 'static,
    {
        let ops = OneInputNodeOps::<T, U> {
            factory: Arc::new(move |ctx, out| {
                let mut op = factory(ctx);
                op.open(ctx)?;
                Ok(Box::new(Chained::new(op, out, ctx.operator_index)) as Box<dyn Output<T>>)
            }),
            out: TypeOps::default(),
            _in: PhantomData,
        };
        let id = self
            .env
            .add_node(name, NodeKind::OneInput, Arc::new(ops), false);
        self.connect_ports(id, 0);
        DataStream::from_node(self.env.clone(), id)
    }

    /// Adds a sink operator; `factory` creates one instance per subtask.
    pub fn add_sink<Op, F>(&self, name: &str, factory: F) -> DataStreamSink
    where
        Op: StreamOperator<T, ()> + 'static,
        F: Fn(&RuntimeContext) -> Op + Send + Sync + 'static,
    {
        let ops = OneInputNodeOps::<T, ()> {
            factory: Arc::new(move |ctx, out| {
                let mut op = factory(ctx);
                op.open(ctx)?;
                Ok(Box::new(Chained::new(op, out, ctx.operator_index)) as Box<dyn Output<T>>)
            }),
            out: TypeOps::default(),
            _in: PhantomData,
        };
        let id = self
            .env
            .add_node(name, NodeKind::Sink, Arc::new(ops), false);
        self.connect_ports(id, 0);
        DataStreamSink {
            env: self.env.clone(),
            node: id,
        }
    }

    /// `map`.
    pub fn map<U: Data, F>(&self, f: F) -> DataStream<U>
    where
        F: FnMut(T) -> U + Clone + Send + Sync + 'static,
    {
        self.transform("Map", move |_| MapOperator(f.clone()))
    }

    /// `filter`.
    pub fn filter<F>(&self, f: F) -> DataStream<T>
    where
        F: FnMut(&T) -> bool + Clone + Send + Sync + 'static,
    {
        self.transform("Filter", move |_| FilterOperator(f.clone()))
    }

    /// `flat_map`: the function emits zero or more records through the collector.
    pub fn flat_map<U: Data, F>(&self, f: F) -> DataStream<U>
    where
        F: FnMut(T, &mut Collector<'_, U>) + Clone + Send + Sync + 'static,
    {
        self.transform("Flat Map", move |_| FlatMapOperator(f.clone()))
    }

    /// Assigns event timestamps and generates watermarks.
    pub fn assign_timestamps_and_watermarks(&self, strategy: WatermarkStrategy<T>) -> DataStream<T>
    where
        T: Sync,
    {
        self.transform("Timestamps/Watermarks", move |ctx| {
            TimestampsAndWatermarksOperator::new(strategy.clone(), ctx)
        })
    }

    /// Partitions by key (Flink `keyBy`).
    pub fn key_by<K: Key, F>(&self, key: F) -> KeyedStream<T, K>
    where
        F: Fn(&T) -> K + Send + Sync + 'static,
    {
        let key: KeySelector<T, K> = Arc::new(key);
        let k2 = key.clone();
        let hash: KeyHashFn<T> = Arc::new(move |v: &T| stable_hash(&k2(v)));
        let mut stream = self.clone();
        for p in &mut stream.ports {
            p.partitioning = Partitioning::Explicit(ShipStrategy::Hash);
            p.key_hash = Some(Arc::new(hash.clone()) as Arc<dyn Any + Send + Sync>);
        }
        KeyedStream { stream, key }
    }

    /// Connects with another stream into a two-input operator whose input is `Either<T, U>`.
    pub fn connect_with<U: Data, O: Data, Op, F>(
        &self,
        other: &DataStream<U>,
        name: &str,
        factory: F,
    ) -> DataStream<O>
    where
        Op: StreamOperator<Either<T, U>, O> + 'static,
        F: Fn(&RuntimeContext) -> Op + Send + Sync + 'static,
    {
        let ops = TwoInputNodeOps::<T, U, O> {
            factory: Arc::new(move |ctx, out| {
                let mut op = factory(ctx);
                op.open(ctx)?;
                Ok(Box::new(Chained::new(op, out, ctx.operator_index))
                    as Box<dyn Output<Either<T, U>>>)
            }),
            out: TypeOps::default(),
        };
        let id = self
            .env
            .add_node(name, NodeKind::TwoInput, Arc::new(ops), false);
        self.connect_ports(id, 0);
        other.connect_ports(id, 1);
        DataStream::from_node(self.env.clone(), id)
    }

    /// Prints every record to stdout (`Debug` format).
    pub fn print(&self) -> DataStreamSink
    where
        T: Debug,
    {
        self.add_sink("Print to Std. Out", PrintSink::new)
    }

    /// Writes every record (`Display` format, one per line) into part files under `path`.
    pub fn write_as_text(&self, path: &str) -> DataStreamSink
    where
        T: Display,
    {
        let path = path.to_string();
        self.add_sink("Text File Sink", move |ctx| TextFileSink::new(&path, ctx))
    }

    /// Drops every record.
    pub fn discard(&self) -> DataStreamSink {
        self.add_sink("Discarding Sink", |_| DiscardSink)
    }

    /// Collects records into a process-wide buffer named `name` (local runs
    /// and tests); read with [`crate::take_collected`].
    pub fn collect_into(&self, name: &str) -> DataStreamSink {
        let name = name.to_string();
        self.add_sink("Collect Sink", move |_| CollectSink::new(&name))
    }
}

/// A sink in the graph; allows naming and setting parallelism.
pub struct DataStreamSink {
    env: StreamExecutionEnvironment,
    node: u32,
}

impl DataStreamSink {
    fn with_node(self, f: impl FnOnce(&mut StreamNode)) -> Self {
        {
            let mut b = self.env.inner.borrow_mut();
            if let Some(n) = b.nodes.get_mut(self.node as usize) {
                f(n);
            }
        }
        self
    }
    /// Sets the sink's parallelism.
    pub fn set_parallelism(self, p: u32) -> Self {
        self.with_node(|n| n.parallelism = Some(p.max(1)))
    }
    /// Names the sink.
    pub fn name(self, name: &str) -> Self {
        let name = name.to_string();
        self.with_node(|n| n.name = name)
    }
    /// Sets the sink's uid.
    pub fn uid(self, uid: &str) -> Self {
        let uid = uid.to_string();
        self.with_node(|n| n.uid = Some(uid))
    }
}

/// A stream partitioned by key (Flink `KeyedStream`).
pub struct KeyedStream<T, K> {
    pub(crate) stream: DataStream<T>,
    pub(crate) key: KeySelector<T, K>,
}

impl<T: Data, K: Key> KeyedStream<T, K> {
    /// The key selector.
    pub fn key_selector(&self) -> KeySelector<T, K> {
        self.key.clone()
    }

    /// Applies a custom keyed operator (one instance per subtask; the
    /// operator re-extracts keys with [`key_selector`](Self::key_selector)).
    pub fn transform<U, Op, F>(&self, name: &str, factory: F) -> DataStream<U>
    where
        U: Data,
        Op: StreamOperator<T, U> + 'static,
        F: Fn(&RuntimeContext) -> Op + Send + Sync + 'static,
    {
        self.stream.transform(name, factory)
    }

    /// Rolling reduce per key: emits the new aggregate for every record.
    pub fn reduce<F>(&self, f: F) -> DataStream<T>
    where
        F: FnMut(T, T) -> T + Clone + Send + Sync + 'static,
    {
        let key = self.key.clone();
        self.transform("Keyed Reduce", move |ctx| {
            ReduceOperator::new(key.clone(), f.clone(), ctx)
        })
    }

    /// Rolling sum per key of the field `field` selects; other fields keep
    /// the values of the key's first record (Flink `sum(pos)`).
    pub fn sum<N, F>(&self, field: F) -> DataStream<T>
    where
        N: std::ops::AddAssign + Copy,
        F: Fn(&mut T) -> &mut N + Clone + Send + Sync + 'static,
    {
        let key = self.key.clone();
        self.transform("Keyed Aggregation", move |ctx| {
            let g = field.clone();
            ReduceOperator::new(
                key.clone(),
                move |mut acc: T, mut v: T| {
                    let add = *g(&mut v);
                    *g(&mut acc) += add;
                    acc
                },
                ctx,
            )
        })
    }
}
