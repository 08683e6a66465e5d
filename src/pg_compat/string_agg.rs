//! `string_agg` whose ORDER BY does not constrain the aggregation's input: PostgreSQL sorts
//! each aggregate's rows on its own, so `string_agg(name, ',' ORDER BY id DESC)` and
//! `string_agg(DISTINCT shift, '/' ORDER BY shift)` may share one GROUP BY.
//!
//! DataFusion's `string_agg` declares its ordering a hard requirement on the input, and two
//! different ones in one aggregation fail ("Conflicting ordering requirements"); yet with an
//! ORDER BY its accumulator (an `array_agg` told its input is not pre-ordered) sorts its
//! own values. Declared a soft requirement, the planner sorts the input when it can serve
//! every aggregate and otherwise leaves the sorting to the accumulators.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::expr::AggregateFunctionParams;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Documentation, GroupsAccumulator, ReversedUDAF,
    Signature,
};
use datafusion::prelude::SessionContext;

/// Replaces `ctx`'s `string_agg` by the wrapper.
pub fn register(ctx: &SessionContext) {
    let inner = datafusion::functions_aggregate::string_agg::string_agg_udaf();
    ctx.register_udaf(AggregateUDF::new_from_impl(SelfSortingStringAgg { inner }));
}

/// DataFusion's `string_agg` with a soft ordering requirement.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SelfSortingStringAgg {
    inner: Arc<AggregateUDF>,
}

impl AggregateUDFImpl for SelfSortingStringAgg {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.inner.accumulator(acc_args)
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn schema_name(&self, params: &AggregateFunctionParams) -> Result<String> {
        self.inner.inner().schema_name(params)
    }

    fn display_name(&self, params: &AggregateFunctionParams) -> Result<String> {
        self.inner.inner().display_name(params)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.inner.state_fields(args)
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.inner.groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        self.inner.create_groups_accumulator(args)
    }

    fn with_beneficial_ordering(
        self: Arc<Self>,
        _beneficial_ordering: bool,
    ) -> Result<Option<Arc<dyn AggregateUDFImpl>>> {
        // The accumulator sorts whatever order its input comes in.
        Ok(Some(self))
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        AggregateOrderSensitivity::SoftRequirement
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        // DataFusion's reverse is its own string_agg, whose requirement is hard again.
        ReversedUDAF::NotSupported
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn return_field(&self, arg_fields: &[FieldRef]) -> Result<FieldRef> {
        self.inner.return_field(arg_fields)
    }

    fn is_nullable(&self) -> bool {
        self.inner.is_nullable()
    }

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        self.inner.default_value(data_type)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::DataType;
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn two_orderings_in_one_aggregation() {
        let ctx = SessionContext::new();
        super::register(&ctx);
        // PostgreSQL 15: c,b,a | x/y
        let sql = "select string_agg(n, ',' order by i desc) as a, \
                   string_agg(distinct s, '/' order by s) as b \
                   from (values ('a', 1, 'y'), ('b', 2, 'x'), ('c', 3, 'y')) as t(n, i, s)";
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let batch = &batches[0];
        let text = |i: usize| {
            let column =
                datafusion::arrow::compute::cast(batch.column(i), &DataType::Utf8).unwrap();
            column.as_string::<i32>().value(0).to_owned()
        };
        assert_eq!(text(0), "c,b,a");
        assert_eq!(text(1), "x/y");
    }
}
