//! A local storefront serving pages in Amazon markup.
