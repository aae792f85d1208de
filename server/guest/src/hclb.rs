//! A small layer over hcl-rs's block builder for generated resources: attributes from field
//! text, typed as the provider's schema wants them.
use hcl::expr::Expression;
use hcl::{Attribute, Block, BlockBuilder};

pub struct B(Option<BlockBuilder>);

/// A number from field text (integers stay integers).
pub fn num(t: &str) -> Expression {
    match t.parse::<i64>() {
        Ok(i) => Expression::from(i),
        Err(_) => t
            .parse::<f64>()
            .ok()
            .and_then(hcl::Number::from_f64)
            .map(Expression::Number)
            .unwrap_or_else(|| Expression::from(t)),
    }
}

impl B {
    pub fn new(ident: &str) -> Self {
        B(Some(Block::builder(ident)))
    }
    fn map(&mut self, f: impl FnOnce(BlockBuilder) -> BlockBuilder) -> &mut Self {
        let b = self.0.take().map(f);
        self.0 = b;
        self
    }
    pub fn label(&mut self, l: &str) -> &mut Self {
        let l = l.to_string();
        self.map(|b| b.add_label(l))
    }
    pub fn expr(&mut self, k: &str, e: Expression) -> &mut Self {
        let k = k.to_string();
        self.map(|b| b.add_attribute(Attribute::new(k, e)))
    }
    /// A string attribute when the value is there.
    pub fn s(&mut self, k: &str, v: Option<&String>) -> &mut Self {
        match v {
            Some(v) => self.expr(k, Expression::from(v.as_str())),
            None => self,
        }
    }
    /// A number attribute when the value is there.
    pub fn n(&mut self, k: &str, v: Option<&String>) -> &mut Self {
        match v {
            Some(v) => self.expr(k, num(v)),
            None => self,
        }
    }
    /// A boolean attribute from `1`/`0` when the value is there.
    pub fn b(&mut self, k: &str, v: Option<&String>) -> &mut Self {
        match v {
            Some(v) => self.expr(k, Expression::from(v == "1")),
            None => self,
        }
    }
    pub fn list(&mut self, k: &str, items: &[String]) -> &mut Self {
        self.expr(
            k,
            Expression::Array(items.iter().map(|s| Expression::from(s.as_str())).collect()),
        )
    }
    pub fn block(&mut self, blk: Block) -> &mut Self {
        self.map(|b| b.add_block(blk))
    }
    /// Add a child block only when it has any attribute or block.
    pub fn block_if(&mut self, blk: Block) -> &mut Self {
        if blk.body.iter().next().is_none() {
            self
        } else {
            self.block(blk)
        }
    }
    pub fn build(&mut self) -> Block {
        self.0
            .take()
            .map(|b| b.build())
            .unwrap_or_else(|| Block::new("invalid"))
    }
}
