//! The offline model builder: from cleaned interactions (orders of items by customers)
//! to `ModelParts` — item-to-item similarity from co-purchases, top-K pruning,
//! min-support filtering and the popularity fallback. Pure: no file or CSV handling here.
