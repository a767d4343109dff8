//! Stateless operators: map, filter, flat_map, and the [`Collector`] that
//! flat_map and process functions emit through.

use crate::runtime::operator::StreamOperator;
use crate::runtime::output::{OpResult, Output};

/// Emits records downstream from inside a user function, keeping the input
/// record's timestamp. The first downstream error is kept and returned
/// after the function returns.
pub struct Collector<'a, T> {
    out: &'a mut dyn Output<T>,
    ts: Option<i64>,
    result: OpResult,
}

impl<'a, T> Collector<'a, T> {
    /// A collector that stamps records with `ts`.
    pub fn new(out: &'a mut dyn Output<T>, ts: Option<i64>) -> Self {
        Self {
            out,
            ts,
            result: Ok(()),
        }
    }
    /// Emits a record.
    #[inline]
    pub fn collect(&mut self, value: T) {
        if self.result.is_ok() {
            self.result = self.out.record(value, self.ts);
        }
    }
    /// Emits a record with an explicit timestamp.
    pub fn collect_with_timestamp(&mut self, value: T, ts: i64) {
        if self.result.is_ok() {
            self.result = self.out.record(value, Some(ts));
        }
    }
    /// The outcome of all emits.
    pub fn finish(self) -> OpResult {
        self.result
    }
}

/// `map`.
pub struct MapOperator<F>(pub F);

impl<In, Out, F> StreamOperator<In, Out> for MapOperator<F>
where
    F: FnMut(In) -> Out + Send,
{
    #[inline]
    fn process(&mut self, value: In, ts: Option<i64>, out: &mut dyn Output<Out>) -> OpResult {
        out.record((self.0)(value), ts)
    }
}

/// `filter`.
pub struct FilterOperator<F>(pub F);

impl<T, F> StreamOperator<T, T> for FilterOperator<F>
where
    F: FnMut(&T) -> bool + Send,
{
    #[inline]
    fn process(&mut self, value: T, ts: Option<i64>, out: &mut dyn Output<T>) -> OpResult {
        if (self.0)(&value) {
            out.record(value, ts)
        } else {
            Ok(())
        }
    }
}

/// `flat_map`.
pub struct FlatMapOperator<F>(pub F);

impl<In, Out, F> StreamOperator<In, Out> for FlatMapOperator<F>
where
    F: FnMut(In, &mut Collector<'_, Out>) + Send,
{
    #[inline]
    fn process(&mut self, value: In, ts: Option<i64>, out: &mut dyn Output<Out>) -> OpResult {
        let mut c = Collector::new(out, ts);
        (self.0)(value, &mut c);
        c.finish()
    }
}
