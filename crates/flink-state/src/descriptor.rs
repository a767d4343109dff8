//! State descriptors: a name plus a type. Every descriptor instance gets a
//! process-unique id (shared by its clones), which the backend maps to a
//! table index so that accesses never hash the name.

use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The kind of a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StateKind {
    /// One value per key (Flink `ValueState`).
    Value,
    /// A list per key (Flink `ListState`).
    List,
    /// A map per key (Flink `MapState`).
    Map,
}

/// Name, kind and id of a descriptor.
#[derive(Clone, Debug)]
pub struct StateDescriptor {
    pub(crate) name: Arc<str>,
    pub(crate) id: u64,
    pub(crate) kind: StateKind,
}

impl StateDescriptor {
    fn new(name: &str, kind: StateKind) -> Self {
        Self {
            name: Arc::from(name),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            kind,
        }
    }
    /// The state name (identifies the state in snapshots).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The kind of state.
    pub fn kind(&self) -> StateKind {
        self.kind
    }
}

macro_rules! descriptor {
    ($(#[$doc:meta])* $name:ident < $($p:ident),+ >, $kind:expr) => {
        $(#[$doc])*
        pub struct $name<$($p),+> {
            pub(crate) desc: StateDescriptor,
            _t: PhantomData<fn() -> ($($p,)+)>,
        }
        impl<$($p),+> $name<$($p),+> {
            /// A descriptor for the state called `name`.
            pub fn new(name: &str) -> Self {
                Self { desc: StateDescriptor::new(name, $kind), _t: PhantomData }
            }
            /// The state name.
            pub fn name(&self) -> &str {
                self.desc.name()
            }
            /// Name, kind and id.
            pub fn descriptor(&self) -> &StateDescriptor {
                &self.desc
            }
        }
        impl<$($p),+> Clone for $name<$($p),+> {
            fn clone(&self) -> Self {
                Self { desc: self.desc.clone(), _t: PhantomData }
            }
        }
        impl<$($p),+> std::fmt::Debug for $name<$($p),+> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).field("name", &self.desc.name).finish()
            }
        }
    };
}

descriptor!(
    /// Declares a [`ValueState`](crate::ValueState) holding one `V` per key.
    ValueStateDescriptor<V>,
    StateKind::Value
);
descriptor!(
    /// Declares a [`ListState`](crate::ListState) holding a list of `V` per key.
    ListStateDescriptor<V>,
    StateKind::List
);
descriptor!(
    /// Declares a [`MapState`](crate::MapState) holding a map `UK -> UV` per key.
    MapStateDescriptor<UK, UV>,
    StateKind::Map
);
