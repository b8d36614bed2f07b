//! Checks recorded exchanges against the framework's published OpenAPI 3.0 contract
//! (`shared/reference/appconnect-server-openapi.json`) with the `jsonschema` validator: each request
//! body, required query parameter and JSON response body of the routes Switchboard uses. A mismatch
//! names the operation and the JSON path.

use std::path::PathBuf;

use serde_json::{Map, Value};
use switchboard_core::client::Exchange;

#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub operation: String,
    /// Where: `request body /logInfo/direction`, `query phoneNumber`, `response 200 /contact/0/id`.
    pub at: String,
    pub problem: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.operation, self.at, self.problem)
    }
}

pub struct Contract {
    doc: Value,
}

/// OpenAPI 3.0's `nullable: true` is not JSON Schema; rewrite it as a type that admits null.
fn nullable_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                nullable_to_json_schema(child);
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                match map.get("type").cloned() {
                    Some(Value::String(t)) => {
                        map.insert(
                            "type".into(),
                            Value::Array(vec![Value::String(t), "null".into()]),
                        );
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(map));
                        map.insert(
                            "anyOf".into(),
                            Value::Array(vec![inner, serde_json::json!({"type": "null"})]),
                        );
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_to_json_schema),
        _ => {}
    }
}

impl Contract {
    pub fn load() -> Self {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/appconnect-server-openapi.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut doc: Value = serde_json::from_str(&text).expect("the contract is JSON");
        nullable_to_json_schema(&mut doc);
        Self { doc }
    }

    /// Follows a local `$ref` (`#/components/...`) once, if there is one.
    fn deref<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => self.doc.pointer(r.trim_start_matches('#')).unwrap_or(v),
            None => v,
        }
    }

    fn operation(&self, method: &str, path: &str) -> Option<&Value> {
        self.doc.pointer(&format!(
            "/paths/{}/{}",
            path.replace('/', "~1"),
            method.to_ascii_lowercase()
        ))
    }

    fn validate(&self, op: &str, at: &str, schema: &Value, instance: &Value) -> Vec<Mismatch> {
        // The schema refers into the contract's components, so it is compiled with them as its root.
        let mut root = Map::new();
        root.insert("components".into(), self.doc["components"].clone());
        if let Value::Object(s) = schema {
            root.extend(s.clone());
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&Value::Object(root))
            .unwrap_or_else(|e| panic!("{op}: the contract's schema does not compile: {e}"));
        validator
            .iter_errors(instance)
            .map(|e| Mismatch {
                operation: op.to_owned(),
                at: format!("{at} {}", e.instance_path()),
                problem: e.to_string(),
            })
            .collect()
    }

    /// Checks one exchange; an exchange for a route the contract lacks is itself a mismatch.
    pub fn check(&self, ex: &Exchange) -> Vec<Mismatch> {
        let url = url::Url::parse(&ex.url).expect("recorded URLs parse");
        let path = url.path().to_owned();
        let Some(op) = self.operation(&ex.method, &path) else {
            return vec![Mismatch {
                operation: format!("{} {path}", ex.method),
                at: "path".into(),
                problem: "not in the contract".into(),
            }];
        };
        let name = op["operationId"].as_str().unwrap_or("?").to_owned();
        let mut out = Vec::new();

        // Query parameters: every required one present, booleans spelled true/false.
        let query: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for p in op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| self.deref(p))
        {
            if p["in"] != "query" {
                continue;
            }
            let pname = p["name"].as_str().unwrap_or("");
            match query.iter().find(|(k, _)| k == pname) {
                None if p["required"] == true => out.push(Mismatch {
                    operation: name.clone(),
                    at: format!("query {pname}"),
                    problem: "required but not sent".into(),
                }),
                Some((_, v)) if p["schema"]["type"] == "boolean" && v != "true" && v != "false" => {
                    out.push(Mismatch {
                        operation: name.clone(),
                        at: format!("query {pname}"),
                        problem: format!("\"{v}\" is not a boolean"),
                    })
                }
                _ => {}
            }
        }

        // Request body.
        if let Some(body) = &ex.request_body {
            let rb = self.deref(&op["requestBody"]);
            let schema = &rb["content"]["application/json"]["schema"];
            match serde_json::from_str::<Value>(body) {
                Ok(v) if !schema.is_null() => {
                    out.extend(self.validate(&name, "request body", schema, &v))
                }
                Ok(_) => out.push(Mismatch {
                    operation: name.clone(),
                    at: "request body".into(),
                    problem: "the contract declares no JSON body".into(),
                }),
                Err(e) => out.push(Mismatch {
                    operation: name.clone(),
                    at: "request body".into(),
                    problem: format!("not JSON: {e}"),
                }),
            }
        }

        // Response: the declared status, and its JSON body against its schema.
        if let Some(status) = ex.status {
            let responses = &op["responses"];
            let declared = responses
                .get(status.to_string())
                .or_else(|| responses.get("default"));
            match declared.map(|r| self.deref(r)) {
                None => out.push(Mismatch {
                    operation: name.clone(),
                    at: format!("response {status}"),
                    problem: "status not declared".into(),
                }),
                Some(r) => {
                    let is_json = ex
                        .response_headers
                        .iter()
                        .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v.contains("json"));
                    let schema = &r["content"]["application/json"]["schema"];
                    if is_json && !schema.is_null() {
                        if let Some(Ok(v)) = ex
                            .response_body
                            .as_deref()
                            .map(serde_json::from_str::<Value>)
                        {
                            out.extend(self.validate(
                                &name,
                                &format!("response {status}"),
                                schema,
                                &v,
                            ));
                        }
                    }
                }
            }
        }
        out
    }
}
