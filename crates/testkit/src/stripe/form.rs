//! Stripe's bracket form encoding decoded into JSON, as Stripe reads it: `a[b]=1` is
//! `{"a": {"b": "1"}}`, `a[0][b]=1` is `{"a": [{"b": "1"}]}`, `a[]=1&a[]=2` is
//! `{"a": ["1", "2"]}`. Values stay strings, as they arrived.

use serde_json::{Map, Value};

pub(crate) fn pairs(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect()
}

pub(crate) fn nest(pairs: &[(String, String)]) -> Result<Value, String> {
    let mut root = Value::Object(Map::new());
    for (key, value) in pairs {
        let path = segments(key).ok_or_else(|| format!("Invalid parameter name: {key}"))?;
        insert(&mut root, &path, value)
            .map_err(|()| format!("Invalid parameter: {key} conflicts with another parameter"))?;
    }
    Ok(root)
}

enum Segment {
    Key(String),
    Index(usize),
    Push,
}

fn segments(key: &str) -> Option<Vec<Segment>> {
    let (head, mut rest) = key
        .split_once('[')
        .map_or((key, ""), |(h, _)| (h, &key[h.len()..]));
    if head.is_empty() {
        return None;
    }
    let mut path = vec![Segment::Key(head.to_owned())];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        let name = &inner[..end];
        path.push(if name.is_empty() {
            Segment::Push
        } else if let Ok(index) = name.parse::<usize>() {
            Segment::Index(index)
        } else {
            Segment::Key(name.to_owned())
        });
        rest = &inner[end + 1..];
    }
    Some(path)
}

fn insert(target: &mut Value, path: &[Segment], value: &str) -> Result<(), ()> {
    let Some((first, rest)) = path.split_first() else {
        if !target.is_null() {
            return Err(());
        }
        *target = Value::String(value.to_owned());
        return Ok(());
    };
    let slot = match first {
        Segment::Key(key) => {
            if target.is_null() {
                *target = Value::Object(Map::new());
            }
            target
                .as_object_mut()
                .ok_or(())?
                .entry(key.clone())
                .or_insert(Value::Null)
        }
        Segment::Index(index) => {
            let items = array(target)?;
            if items.len() <= *index {
                items.resize(index + 1, Value::Null);
            }
            &mut items[*index]
        }
        Segment::Push => {
            let items = array(target)?;
            items.push(Value::Null);
            items.last_mut().ok_or(())?
        }
    };
    insert(slot, rest, value)
}

fn array(target: &mut Value) -> Result<&mut Vec<Value>, ()> {
    if target.is_null() {
        *target = Value::Array(Vec::new());
    }
    target.as_array_mut().ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brackets_nest_into_objects_and_arrays() {
        let raw = "mode=subscription&line_items%5B0%5D%5Bprice%5D=price_1&line_items%5B0%5D%5Bquantity%5D=1\
                   &metadata%5Buser_id%5D=u&subscription_data%5Bmetadata%5D%5Bplan%5D=founding\
                   &expand%5B%5D=data.product&expand%5B%5D=data.customer";
        assert_eq!(
            nest(&pairs(raw)).unwrap(),
            json!({
                "mode": "subscription",
                "line_items": [{"price": "price_1", "quantity": "1"}],
                "metadata": {"user_id": "u"},
                "subscription_data": {"metadata": {"plan": "founding"}},
                "expand": ["data.product", "data.customer"],
            })
        );
    }

    #[test]
    fn conflicting_and_malformed_names_are_refused() {
        assert!(nest(&pairs("a=1&a%5Bb%5D=2")).is_err());
        assert!(nest(&pairs("a%5Bb=1")).is_err());
        assert!(nest(&pairs("%5Bb%5D=1")).is_err());
    }
}
