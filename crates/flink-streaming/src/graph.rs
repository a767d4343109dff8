//! The stream graph (one node per API call, with its operator factory) and
//! its translation to the serializable [`JobGraph`] with operator chaining.

use crate::runtime::chain::{InputDecoder, SourceDriver};
use crate::runtime::operator::RuntimeContext;
use crate::runtime::output::{ChannelSelector, KeyHashFn, NetworkOutput, OperatorError, Output};
use flink_network::ResultPartitionWriter;
use flink_types::{
    ChainedOperator, JobEdge, JobGraph, JobId, JobVertex, JobVertexId, ProgramRef, RuntimeMode,
    ShipStrategy, default_max_parallelism,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// A type-erased `Box<dyn Output<T>>`.
pub type AnyOutput = Box<dyn Any + Send>;

/// Error building or instantiating a graph.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The program built an invalid graph.
    #[error("invalid job: {0}")]
    Invalid(String),
    /// Types did not line up while instantiating a chain (a bug, or a
    /// program that builds a different graph in different processes).
    #[error(
        "internal type mismatch while building operator '{0}': the program must build the same graph every time it runs"
    )]
    TypeMismatch(String),
}

/// Whether an operator may be chained (Flink `ChainingStrategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainingStrategy {
    /// Chain with predecessor and successors where possible.
    Always,
    /// Start a new chain here, but successors may chain to it.
    Head,
    /// Never chain.
    Never,
}

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// No inputs.
    Source,
    /// One logical input (possibly several edges: union).
    OneInput,
    /// Two logical inputs.
    TwoInput,
    /// One input, no output.
    Sink,
}

/// Instantiated node: its input side, or a source driver.
pub enum Built {
    /// A `Box<dyn Output<In>>` (one-input) or `Box<dyn Output<Either<A, B>>>` (two-input).
    Input(AnyOutput),
    /// A source bound to its chain.
    Source(Box<dyn SourceDriver>),
}

/// Type-specific operations of a node, erased.
pub trait NodeOps: Send + Sync {
    /// Instantiates (and opens) the node for one subtask, given its downstream.
    fn build(&self, ctx: &RuntimeContext, output: AnyOutput) -> Result<Built, Box<OperatorError>>;
    /// Wraps the node's built input in a decoder fed from network buffers.
    fn decoder(&self, input: AnyOutput) -> Result<Box<dyn InputDecoder>, GraphError>;
    /// Operations on the node's output type.
    fn out(&self) -> &dyn OutTypeOps;
}

/// Operations on a stream element type, erased.
pub trait OutTypeOps: Send + Sync {
    /// A record writer over a result partition.
    #[allow(clippy::too_many_arguments)]
    fn network_output(
        &self,
        writer: ResultPartitionWriter,
        strategy: ShipStrategy,
        key_hash: Option<&(dyn Any + Send + Sync)>,
        consumer_max_parallelism: u32,
        consumer_parallelism: u32,
        subtask: u32,
        segment_size: usize,
        buffer_timeout: Duration,
    ) -> AnyOutput;
    /// Combines several outputs into one.
    fn fanout(&self, outputs: Vec<AnyOutput>) -> Result<AnyOutput, GraphError>;
    /// An output that drops everything.
    fn discard(&self) -> AnyOutput;
}

/// [`OutTypeOps`] for element type `T`.
pub struct TypeOps<T>(PhantomData<fn() -> T>);

impl<T> Default for TypeOps<T> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

/// Downcasts an erased output.
pub fn downcast_output<T: 'static>(
    o: AnyOutput,
    op: &str,
) -> Result<Box<dyn Output<T>>, GraphError> {
    o.downcast::<Box<dyn Output<T>>>()
        .map(|b| *b)
        .map_err(|_| GraphError::TypeMismatch(op.to_string()))
}

impl<T> OutTypeOps for TypeOps<T>
where
    T: Serialize + Clone + Send + 'static,
{
    fn network_output(
        &self,
        writer: ResultPartitionWriter,
        strategy: ShipStrategy,
        key_hash: Option<&(dyn Any + Send + Sync)>,
        consumer_max_parallelism: u32,
        consumer_parallelism: u32,
        subtask: u32,
        segment_size: usize,
        buffer_timeout: Duration,
    ) -> AnyOutput {
        let key_hash = key_hash
            .and_then(|k| k.downcast_ref::<KeyHashFn<T>>())
            .cloned();
        let selector = ChannelSelector::for_strategy(
            strategy,
            key_hash,
            consumer_max_parallelism,
            consumer_parallelism,
            subtask,
        );
        let out: Box<dyn Output<T>> = Box::new(NetworkOutput::new(
            writer,
            selector,
            segment_size,
            buffer_timeout,
        ));
        Box::new(out)
    }
    fn fanout(&self, outputs: Vec<AnyOutput>) -> Result<AnyOutput, GraphError> {
        let mut typed = outputs
            .into_iter()
            .map(|o| downcast_output::<T>(o, "fanout"))
            .collect::<Result<Vec<_>, _>>()?;
        let out: Box<dyn Output<T>> = match typed.len() {
            0 => Box::new(crate::runtime::output::Discard),
            1 => typed.remove(0),
            _ => Box::new(crate::runtime::output::Fanout::new(typed)),
        };
        Ok(Box::new(out))
    }
    fn discard(&self) -> AnyOutput {
        let out: Box<dyn Output<T>> = Box::new(crate::runtime::output::Discard);
        Box::new(out)
    }
}

/// How the API asked an edge to be partitioned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partitioning {
    /// FORWARD if parallelisms match, else REBALANCE (Flink's default).
    Default,
    /// An explicit strategy.
    Explicit(ShipStrategy),
}

/// One node of the stream graph.
pub struct StreamNode {
    /// Node id (= index; ids are in topological order).
    pub id: u32,
    /// Operator name.
    pub name: String,
    /// User-set uid.
    pub uid: Option<String>,
    /// Parallelism, if set on the operator.
    pub parallelism: Option<u32>,
    /// Max parallelism, if set on the operator.
    pub max_parallelism: Option<u32>,
    /// Slot sharing group, if set.
    pub slot_sharing_group: Option<String>,
    /// Chaining.
    pub chaining: ChainingStrategy,
    /// Kind.
    pub kind: NodeKind,
    /// Type-erased factory.
    pub ops: Arc<dyn NodeOps>,
    /// Whether the node only supports parallelism 1 (e.g. a collection source).
    pub non_parallel: bool,
}

/// One edge of the stream graph.
pub struct StreamEdge {
    /// Producer node.
    pub source: u32,
    /// Consumer node.
    pub target: u32,
    /// Partitioning.
    pub partitioning: Partitioning,
    /// Logical input of the consumer.
    pub target_input: u32,
    /// For HASH: a `KeyHashFn<T>` of the producer's element type.
    pub key_hash: Option<Arc<dyn Any + Send + Sync>>,
}

/// Execution settings of a program (from configuration and API calls).
#[derive(Clone, Debug)]
pub struct ExecutionSettings {
    /// Default parallelism (`parallelism.default`).
    pub parallelism: u32,
    /// Max parallelism (`pipeline.max-parallelism`), if set.
    pub max_parallelism: Option<u32>,
    /// Whether chaining is enabled.
    pub chaining: bool,
    /// Streaming or batch.
    pub runtime_mode: RuntimeMode,
    /// Job name.
    pub job_name: String,
    /// Job configuration passed to every task.
    pub config: BTreeMap<String, String>,
}

impl Default for ExecutionSettings {
    fn default() -> Self {
        Self {
            parallelism: 1,
            max_parallelism: None,
            chaining: true,
            runtime_mode: RuntimeMode::Streaming,
            job_name: "flink-rs job".into(),
            config: BTreeMap::new(),
        }
    }
}

/// The stream graph of a program.
pub struct StreamGraph {
    /// Nodes in topological order.
    pub nodes: Vec<StreamNode>,
    /// Edges.
    pub edges: Vec<StreamEdge>,
    /// Settings.
    pub settings: ExecutionSettings,
}

impl StreamGraph {
    /// Effective parallelism of a node.
    pub fn parallelism_of(&self, node: &StreamNode) -> u32 {
        if node.non_parallel {
            1
        } else {
            node.parallelism.unwrap_or(self.settings.parallelism).max(1)
        }
    }

    fn max_parallelism_of(&self, node: &StreamNode) -> u32 {
        node.max_parallelism
            .or(self.settings.max_parallelism)
            .unwrap_or_else(|| default_max_parallelism(self.parallelism_of(node)))
    }

    fn resolve(&self, e: &StreamEdge) -> ShipStrategy {
        match e.partitioning {
            Partitioning::Explicit(s) => s,
            Partitioning::Default => {
                let p1 = self.parallelism_of(&self.nodes[e.source as usize]);
                let p2 = self.parallelism_of(&self.nodes[e.target as usize]);
                if p1 == p2 {
                    ShipStrategy::Forward
                } else {
                    ShipStrategy::Rebalance
                }
            }
        }
    }

    /// Generated uid of a node (stable for a program that builds the same graph).
    pub fn uid_of(&self, node: &StreamNode) -> String {
        node.uid
            .clone()
            .unwrap_or_else(|| format!("{}-{}", node.id, node.name))
    }

    fn is_chainable(&self, e: &StreamEdge) -> bool {
        let up = &self.nodes[e.source as usize];
        let down = &self.nodes[e.target as usize];
        self.settings.chaining
            && self.resolve(e) == ShipStrategy::Forward
            && self.parallelism_of(up) == self.parallelism_of(down)
            && self.edges.iter().filter(|x| x.target == e.target).count() == 1
            && down.kind != NodeKind::TwoInput
            && down.chaining == ChainingStrategy::Always
            && up.chaining != ChainingStrategy::Never
            && up.slot_sharing_group == down.slot_sharing_group
    }

    /// Validates the graph: parallelism within max parallelism, edges that make sense.
    pub fn validate(&self) -> Result<(), GraphError> {
        if self.nodes.is_empty() {
            return Err(GraphError::Invalid(
                "the program defined no operators: add a source and a sink".into(),
            ));
        }
        for n in &self.nodes {
            let p = self.parallelism_of(n);
            let mp = self.max_parallelism_of(n);
            if p > mp {
                return Err(GraphError::Invalid(format!(
                    "operator '{}' has parallelism {p} above its max parallelism {mp}: raise pipeline.max-parallelism",
                    n.name
                )));
            }
        }
        for e in &self.edges {
            if self.resolve(e) == ShipStrategy::Forward {
                let p1 = self.parallelism_of(&self.nodes[e.source as usize]);
                let p2 = self.parallelism_of(&self.nodes[e.target as usize]);
                if p1 != p2 {
                    return Err(GraphError::Invalid(format!(
                        "forward() between '{}' (parallelism {p1}) and '{}' (parallelism {p2}) needs equal parallelism",
                        self.nodes[e.source as usize].name, self.nodes[e.target as usize].name
                    )));
                }
            }
        }
        Ok(())
    }

    /// Translates to a job graph with operator chaining.
    pub fn to_job_graph(&self, job_id: JobId, program: ProgramRef) -> Result<JobGraph, GraphError> {
        self.validate()?;
        // chain_of[node] = vertex index
        let mut chain_of: Vec<usize> = Vec::with_capacity(self.nodes.len());
        let mut vertices: Vec<JobVertex> = Vec::new();
        for n in &self.nodes {
            let inputs: Vec<&StreamEdge> = self.edges.iter().filter(|e| e.target == n.id).collect();
            let chained_into = match inputs.as_slice() {
                [e] if self.is_chainable(e) => Some(chain_of[e.source as usize]),
                _ => None,
            };
            let uid = self.uid_of(n);
            let op = ChainedOperator {
                stream_node: n.id,
                name: n.name.clone(),
                uid,
            };
            match chained_into {
                Some(v) => {
                    let vx = &mut vertices[v];
                    vx.name = format!("{} -> {}", vx.name, n.name);
                    vx.operators.push(op);
                    chain_of.push(v);
                }
                None => {
                    let id = JobVertexId(vertices.len() as u32);
                    let name = if n.kind == NodeKind::Source {
                        format!("Source: {}", n.name)
                    } else {
                        n.name.clone()
                    };
                    vertices.push(JobVertex {
                        id,
                        name,
                        parallelism: self.parallelism_of(n),
                        max_parallelism: self.max_parallelism_of(n),
                        slot_sharing_group: n
                            .slot_sharing_group
                            .clone()
                            .unwrap_or_else(|| "default".into()),
                        operators: vec![op],
                        is_source: n.kind == NodeKind::Source,
                    });
                    chain_of.push(vertices.len() - 1);
                }
            }
        }
        let mut edges = Vec::new();
        for e in &self.edges {
            let (sv, tv) = (chain_of[e.source as usize], chain_of[e.target as usize]);
            if sv == tv {
                continue;
            }
            edges.push(JobEdge {
                source: JobVertexId(sv as u32),
                target: JobVertexId(tv as u32),
                ship_strategy: self.resolve(e),
                target_input: e.target_input,
                source_node: e.source,
                target_node: e.target,
            });
        }
        Ok(JobGraph {
            job_id,
            name: self.settings.job_name.clone(),
            program,
            vertices,
            edges,
            runtime_mode: self.settings.runtime_mode,
            config: self.settings.config.clone(),
        })
    }

    /// Finds the stream edge feeding `target_node` from `source_node` on `target_input`.
    pub fn edge(
        &self,
        source_node: u32,
        target_node: u32,
        target_input: u32,
    ) -> Option<&StreamEdge> {
        self.edges.iter().find(|e| {
            e.source == source_node && e.target == target_node && e.target_input == target_input
        })
    }
}

/// The execution plan as JSON, in the shape of Flink's `getExecutionPlan()`
/// (nodes with id, type, pact, contents, parallelism, predecessors), plus the
/// job graph's vertices and chaining.
pub fn plan_json(graph: &StreamGraph, job: &JobGraph) -> serde_json::Value {
    let nodes: Vec<serde_json::Value> = graph
        .nodes
        .iter()
        .map(|n| {
            let preds: Vec<serde_json::Value> = graph
                .edges
                .iter()
                .filter(|e| e.target == n.id)
                .map(|e| {
                    serde_json::json!({
                        "id": e.source,
                        "ship_strategy": graph.resolve(e).as_str(),
                        "side": if e.target_input == 0 { "first" } else { "second" },
                    })
                })
                .collect();
            let pact = match n.kind {
                NodeKind::Source => "Data Source",
                NodeKind::Sink => "Data Sink",
                _ => "Operator",
            };
            let mut v = serde_json::json!({
                "id": n.id,
                "type": n.name,
                "pact": pact,
                "contents": n.name,
                "parallelism": graph.parallelism_of(n),
            });
            if !preds.is_empty() {
                v["predecessors"] = serde_json::Value::Array(preds);
            }
            v
        })
        .collect();
    serde_json::json!({
        "jid": job.job_id.to_hex(),
        "name": job.name,
        "type": match job.runtime_mode { RuntimeMode::Streaming => "STREAMING", RuntimeMode::Batch => "BATCH" },
        "nodes": nodes,
        "jobGraph": {
            "vertices": job.vertices,
            "edges": job.edges,
            "requiredSlots": job.required_slots(),
        },
    })
}

/// [`NodeOps`] for a source producing `T`.
pub struct SourceNodeOps<T> {
    /// Creates the source of one subtask.
    #[allow(clippy::type_complexity)]
    pub factory:
        Arc<dyn Fn(&RuntimeContext) -> Box<dyn crate::runtime::source::Source<T>> + Send + Sync>,
    /// Output type operations.
    pub out: TypeOps<T>,
}

impl<T> NodeOps for SourceNodeOps<T>
where
    T: Serialize + DeserializeOwned + Clone + Send + 'static,
{
    fn build(&self, ctx: &RuntimeContext, output: AnyOutput) -> Result<Built, Box<OperatorError>> {
        let out = downcast_output::<T>(output, &ctx.operator_name).map_err(mismatch)?;
        let source = (self.factory)(ctx);
        Ok(Built::Source(Box::new(
            crate::runtime::chain::TypedSourceDriver::new(source, out),
        )))
    }
    fn decoder(&self, _input: AnyOutput) -> Result<Box<dyn InputDecoder>, GraphError> {
        Err(GraphError::Invalid("a source has no network input".into()))
    }
    fn out(&self) -> &dyn OutTypeOps {
        &self.out
    }
}

/// Creates (and opens) the input side of an operator given its downstream.
pub type OperatorFactory<In, Out> = Arc<
    dyn Fn(&RuntimeContext, Box<dyn Output<Out>>) -> Result<Box<dyn Output<In>>, Box<OperatorError>>
        + Send
        + Sync,
>;

fn mismatch(e: GraphError) -> Box<OperatorError> {
    Box::new(OperatorError::Other(e.to_string()))
}

/// [`NodeOps`] for a one-input operator (or sink, with `Out = ()`).
pub struct OneInputNodeOps<In, Out> {
    /// Creates the operator of one subtask.
    pub factory: OperatorFactory<In, Out>,
    /// Output type operations.
    pub out: TypeOps<Out>,
    /// Input marker.
    pub _in: PhantomData<fn(In)>,
}

impl<In, Out> NodeOps for OneInputNodeOps<In, Out>
where
    In: Serialize + DeserializeOwned + Clone + Send + 'static,
    Out: Serialize + Clone + Send + 'static,
{
    fn build(&self, ctx: &RuntimeContext, output: AnyOutput) -> Result<Built, Box<OperatorError>> {
        let out = downcast_output::<Out>(output, &ctx.operator_name).map_err(mismatch)?;
        let input: Box<dyn Output<In>> = (self.factory)(ctx, out)?;
        Ok(Built::Input(Box::new(input)))
    }
    fn decoder(&self, input: AnyOutput) -> Result<Box<dyn InputDecoder>, GraphError> {
        let head = downcast_output::<In>(input, "network input")?;
        Ok(Box::new(crate::runtime::chain::OneInputDecoder::new(head)))
    }
    fn out(&self) -> &dyn OutTypeOps {
        &self.out
    }
}

/// [`NodeOps`] for a two-input operator whose input is `Either<A, B>`.
pub struct TwoInputNodeOps<A, B, Out> {
    /// Creates the operator of one subtask.
    pub factory: OperatorFactory<crate::runtime::chain::Either<A, B>, Out>,
    /// Output type operations.
    pub out: TypeOps<Out>,
}

impl<A, B, Out> NodeOps for TwoInputNodeOps<A, B, Out>
where
    A: Serialize + DeserializeOwned + Clone + Send + 'static,
    B: Serialize + DeserializeOwned + Clone + Send + 'static,
    Out: Serialize + Clone + Send + 'static,
{
    fn build(&self, ctx: &RuntimeContext, output: AnyOutput) -> Result<Built, Box<OperatorError>> {
        let out = downcast_output::<Out>(output, &ctx.operator_name).map_err(mismatch)?;
        let input: Box<dyn Output<crate::runtime::chain::Either<A, B>>> = (self.factory)(ctx, out)?;
        Ok(Built::Input(Box::new(input)))
    }
    fn decoder(&self, input: AnyOutput) -> Result<Box<dyn InputDecoder>, GraphError> {
        let head = downcast_output::<crate::runtime::chain::Either<A, B>>(input, "network input")?;
        Ok(Box::new(crate::runtime::chain::TwoInputDecoder::new(head)))
    }
    fn out(&self) -> &dyn OutTypeOps {
        &self.out
    }
}
