//! Reading the evaluated configuration: a [`Reader`] forces one option at a
//! time and remembers the option path, so that a value of an unexpected
//! shape is reported as `services.site.ports.http.port: ...`.

use crate::problem::{LoadError, Problem};
use nix2dream_eval::{Evaluator, Value};
use nix2dream_syntax::Symbol;

/// A value together with the option path it was read from.
#[derive(Clone)]
pub struct Node {
    pub path: Vec<String>,
    pub value: Value,
}

impl Node {
    pub fn new(path: Vec<String>, value: Value) -> Node {
        Node { path, value }
    }

    pub fn option_path(&self) -> String {
        self.path.join(".")
    }

    fn child(&self, name: &str, value: Value) -> Node {
        let mut path = self.path.clone();
        path.push(name.to_string());
        Node { path, value }
    }
}

pub struct Reader<'ev> {
    pub ev: &'ev mut Evaluator,
}

impl Reader<'_> {
    /// Force a node; an evaluation error says which option was being read.
    pub fn force(&mut self, node: &Node) -> Result<Value, LoadError> {
        self.ev.force(&node.value).map_err(|e| {
            let context = match node.path.is_empty() {
                true => "while reading the deployment's configuration".to_string(),
                false => format!("while reading the option `{}'", node.option_path()),
            };
            LoadError::Eval(e.context(None, context))
        })
    }

    fn shape_error(&self, node: &Node, wanted: &str, got: &Value) -> LoadError {
        LoadError::Invalid(vec![Problem::new(
            node.option_path(),
            format!("expected {}, but the value is {}", wanted, got.type_desc()),
        )])
    }

    pub fn attr(&mut self, node: &Node, name: &str) -> Result<Node, LoadError> {
        match self.force(node)? {
            Value::Attrs(attrs) => match attrs.get(Symbol::intern(name)) {
                Some(v) => Ok(node.child(name, v.clone())),
                None => Err(LoadError::Invalid(vec![Problem::new(
                    node.child(name, Value::Null).option_path(),
                    "the option does not exist; is this deployment evaluated with nix2dream's deployment module?",
                )])),
            },
            other => Err(self.shape_error(node, "a set", &other)),
        }
    }

    /// Follow a dotted path of attribute names.
    pub fn at(&mut self, node: &Node, path: &str) -> Result<Node, LoadError> {
        let mut current = node.clone();
        for part in path.split('.') {
            current = self.attr(&current, part)?;
        }
        Ok(current)
    }

    /// The entries of a set, sorted by name.
    pub fn entries(&mut self, node: &Node) -> Result<Vec<(String, Node)>, LoadError> {
        match self.force(node)? {
            Value::Attrs(attrs) => Ok(attrs
                .sorted_by_name()
                .into_iter()
                .map(|e| (e.name.as_str().to_string(), node.child(e.name.as_str(), e.value.clone())))
                .collect()),
            other => Err(self.shape_error(node, "a set", &other)),
        }
    }

    pub fn items(&mut self, node: &Node) -> Result<Vec<Node>, LoadError> {
        match self.force(node)? {
            Value::List(items) => {
                Ok(items.iter().enumerate().map(|(i, v)| node.child(&i.to_string(), v.clone())).collect())
            }
            other => Err(self.shape_error(node, "a list", &other)),
        }
    }

    pub fn is_null(&mut self, node: &Node) -> Result<bool, LoadError> {
        Ok(matches!(self.force(node)?, Value::Null))
    }

    /// A string, or a path as its text (paths are host paths here and are
    /// never copied anywhere).
    pub fn string(&mut self, node: &Node) -> Result<String, LoadError> {
        match self.force(node)? {
            Value::String(s) => Ok(s.as_str().to_string()),
            Value::Path(p) => Ok(p.to_string()),
            attrs @ Value::Attrs(_) => match self.out_path(node)? {
                Some(path) => Ok(path),
                None => Err(self.shape_error(node, "a string", &attrs)),
            },
            other => Err(self.shape_error(node, "a string", &other)),
        }
    }

    /// A derivation-like set's `outPath`, as string interpolation reads it.
    fn out_path(&mut self, node: &Node) -> Result<Option<String>, LoadError> {
        let Value::Attrs(attrs) = self.force(node)? else { return Ok(None) };
        match attrs.get(Symbol::OUT_PATH) {
            Some(v) => {
                let out = node.child("outPath", v.clone());
                self.string(&out).map(Some)
            }
            None => Ok(None),
        }
    }

    pub fn optional_string(&mut self, node: &Node) -> Result<Option<String>, LoadError> {
        if self.is_null(node)? {
            return Ok(None);
        }
        self.string(node).map(Some)
    }

    pub fn strings(&mut self, node: &Node) -> Result<Vec<String>, LoadError> {
        self.items(node)?.iter().map(|item| self.string(item)).collect()
    }

    pub fn bool(&mut self, node: &Node) -> Result<bool, LoadError> {
        match self.force(node)? {
            Value::Bool(b) => Ok(b),
            other => Err(self.shape_error(node, "a Boolean", &other)),
        }
    }

    pub fn int(&mut self, node: &Node) -> Result<i64, LoadError> {
        match self.force(node)? {
            Value::Int(i) => Ok(i),
            other => Err(self.shape_error(node, "an integer", &other)),
        }
    }

    /// An integer that must fit `T` (ports, counts); the option types
    /// already bound them, so a failure means a foreign module set.
    pub fn int_in<T: TryFrom<i64>>(&mut self, node: &Node) -> Result<T, LoadError> {
        let i = self.int(node)?;
        T::try_from(i)
            .map_err(|_| LoadError::Invalid(vec![Problem::new(node.option_path(), format!("{} is out of range", i))]))
    }

    pub fn optional_int_in<T: TryFrom<i64>>(&mut self, node: &Node) -> Result<Option<T>, LoadError> {
        if self.is_null(node)? {
            return Ok(None);
        }
        self.int_in(node).map(Some)
    }

    /// An environment variable's value, rendered as Nix's `toString`
    /// would: `true` is `1`, `false` and `null` are empty, lists are
    /// joined with spaces. `None` for `null`, which leaves it unset.
    pub fn env_value(&mut self, node: &Node) -> Result<Option<String>, LoadError> {
        Ok(Some(match self.force(node)? {
            Value::Null => return Ok(None),
            Value::Bool(true) => "1".to_string(),
            Value::Bool(false) => String::new(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => nix2dream_eval::print::format_float(f),
            Value::List(_) => {
                let mut words = Vec::new();
                for item in self.items(node)? {
                    // As in `toString [ "a" null ]`: null is an empty word.
                    words.push(self.env_value(&item)?.unwrap_or_default());
                }
                words.join(" ")
            }
            _ => self.string(node)?,
        }))
    }
}
