//! Which operator runs `window(assigner).aggregate(..)`, chosen by the assigner's *type*
//! where the compiled job is: panes (`pane_window`, constant work per record however much
//! the windows overlap) for sliding event-time windows, one state per window for every other
//! assigner. The compiler emits the choice (for an aggregate without allowed lateness or
//! trigger) as `(&&ChooseWindows(assigner)).windows()`: method resolution takes
//! [`ViaPanes`] where the assigner is a [`SlidingEventTimeWindows`] and [`ViaEachWindow`]
//! everywhere else, so an assigner bound to a name first is chosen as well as one written in
//! the call, with no test at run time.
//!
//! ```
//! use rill::ops::window::choose::{ChooseWindows, Panes, ViaEachWindow as _, ViaPanes as _};
//! use rill::prelude::*;
//! use std::time::Duration;
//!
//! let sliding = SlidingEventTimeWindows::of(Duration::from_secs(60), Duration::from_secs(1));
//! let chosen = (&&ChooseWindows(sliding)).windows();
//! assert!(std::any::type_name_of_val(&chosen).ends_with("Panes"));
//! let tumbling = TumblingEventTimeWindows::of(Duration::from_secs(60));
//! let chosen = (&&ChooseWindows(tumbling)).windows();
//! assert!(std::any::type_name_of_val(&chosen).contains("EachWindow"));
//! ```

use super::context::WindowContext;
use super::functions::{Aggregate, WithProcess};
use super::pane_window::{PaneStage, ProcessResult, ResultOnly};
use super::WindowStage;
use crate::api::codec::Codec;
use crate::api::AggregateFunction;
use crate::core::collector::Output;
use crate::core::pipe::{ChainBuilder, Pipe, Stage, Then};
use crate::state::key_selector::{KeyFor, KeySelector};
use crate::time::{SlidingEventTimeWindows, WindowAssigner};
use std::hash::Hash;
use std::marker::PhantomData;

/// An assigner whose windows operator is to be chosen.
pub struct ChooseWindows<W>(pub W);

/// Sliding event-time windows run on panes.
pub struct Panes(SlidingEventTimeWindows);

/// Windows that keep one state per window.
pub struct EachWindow<W>(W);

/// Chosen for sliding event-time windows.
pub trait ViaPanes {
    /// The pane operator.
    fn windows(&self) -> Panes;
}

impl ViaPanes for &ChooseWindows<SlidingEventTimeWindows> {
    fn windows(&self) -> Panes {
        Panes(self.0)
    }
}

/// Chosen for every other assigner.
pub trait ViaEachWindow {
    /// The assigner.
    type Assigner;
    /// The window operator with a state per window.
    fn windows(&self) -> EachWindow<Self::Assigner>;
}

impl<W: WindowAssigner> ViaEachWindow for ChooseWindows<W> {
    type Assigner = W;
    fn windows(&self) -> EachWindow<W> {
        EachWindow(self.0.clone())
    }
}

/// How the chosen windows run `aggregate(f)`.
pub trait AggregateWindows<In, K, KF, A> {
    /// The operator's stage.
    type Stage: Stage<In>;
    /// The stage of operator `id`.
    fn aggregate(self, id: u32, key: KF, f: A) -> Self::Stage;
}

impl<In, K, KF, A> AggregateWindows<In, K, KF, A> for Panes
where
    In: Codec + Send + Sync + 'static,
    KF: KeySelector<In, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    A: AggregateFunction<In>,
    A::Acc: Clone,
    A::Out: Send + 'static,
{
    type Stage = PaneStage<KF, A>;
    fn aggregate(self, id: u32, key: KF, f: A) -> Self::Stage {
        PaneStage::new(id, key, &self.0, f, ResultOnly)
    }
}

impl<In, K, KF, A, W> AggregateWindows<In, K, KF, A> for EachWindow<W>
where
    In: Clone + Codec + Send + Sync + 'static,
    KF: KeySelector<In, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    W: WindowAssigner,
    A: AggregateFunction<In>,
    A::Out: Send + 'static,
{
    type Stage = WindowStage<KF, W, Aggregate<A>>;
    fn aggregate(self, id: u32, key: KF, f: A) -> Self::Stage {
        WindowStage::new(id, key, self.0, 0, Aggregate(f))
    }
}

/// How the chosen windows run `aggregate(f, |key, ctx, result, out| ..)`.
pub trait AggregateProcessWindows<In, K, KF, A, PF, O> {
    /// The operator's stage.
    type Stage: Stage<In>;
    /// The stage of operator `id`.
    fn aggregate_process(self, id: u32, key: KF, f: A, process: PF) -> Self::Stage;
}

impl<In, K, KF, A, PF, O> AggregateProcessWindows<In, K, KF, A, PF, O> for Panes
where
    In: Codec + Send + Sync + 'static,
    KF: KeySelector<In, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    A: AggregateFunction<In>,
    A::Acc: Clone,
    O: Send + 'static,
    PF: FnMut(&K, &mut WindowContext<'_, K>, A::Out, &mut Output<'_, O>) + Clone + Send + 'static,
{
    type Stage = PaneStage<KF, A, ProcessResult<PF, O>>;
    fn aggregate_process(self, id: u32, key: KF, f: A, process: PF) -> Self::Stage {
        PaneStage::new(id, key, &self.0, f, ProcessResult(process, PhantomData))
    }
}

impl<In, K, KF, A, PF, O, W> AggregateProcessWindows<In, K, KF, A, PF, O> for EachWindow<W>
where
    In: Clone + Codec + Send + Sync + 'static,
    KF: KeySelector<In, Key = K>,
    K: Hash + Eq + Clone + Codec + Send + Sync + 'static,
    W: WindowAssigner,
    A: AggregateFunction<In>,
    O: Send + 'static,
    PF: FnMut(&K, &mut WindowContext<'_, K>, A::Out, &mut Output<'_, O>) + Clone + Send + 'static,
{
    type Stage = WindowStage<KF, W, WithProcess<Aggregate<A>, PF, O>>;
    fn aggregate_process(self, id: u32, key: KF, f: A, process: PF) -> Self::Stage {
        WindowStage::new(id, key, self.0, 0, WithProcess(Aggregate(f), process, PhantomData))
    }
}

// Builder methods the compiled job calls, hidden from the docs (the module docs show the operator).
#[doc(hidden)]
impl<In: 'static, P: Pipe<In>> ChainBuilder<In, P> {
    /// `window(assigner).aggregate(f)` on a keyed stream, on the operator the assigner's
    /// type chose (`(&&ChooseWindows(assigner)).windows()`).
    #[doc(hidden)]
    pub fn keyed_window_aggregate_on<K, KF, S, A>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        windows: S,
        f: A,
    ) -> ChainBuilder<In, Then<P, S::Stage>>
    where
        KF: KeySelector<P::Out, Key = K>,
        S: AggregateWindows<P::Out, K, KF, A>,
    {
        self.then(windows.aggregate(id, KeyFor::select(key), f))
    }

    /// `window(assigner).aggregate(f, |key, ctx, result, out| ..)` on a keyed stream, on the
    /// operator the assigner's type chose.
    #[doc(hidden)]
    pub fn keyed_window_aggregate_process_on<K, KF, S, A, PF, O>(
        self,
        id: u32,
        key: impl FnOnce(KeyFor<P::Out>) -> KF,
        windows: S,
        f: A,
        process: PF,
    ) -> ChainBuilder<In, Then<P, S::Stage>>
    where
        KF: KeySelector<P::Out, Key = K>,
        S: AggregateProcessWindows<P::Out, K, KF, A, PF, O>,
    {
        self.then(windows.aggregate_process(id, KeyFor::select(key), f, process))
    }
}
