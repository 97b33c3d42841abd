//! The shopper's profile in the browser: `attune_core::profile::Profile` plus its
//! persistence in localStorage under one versioned key.
//!
//! Stored value (JSON, written by `JSON.stringify`, read by `JSON.parse` + `Reflect`):
//! `{"v":1,"events":[{"type":"view","item":"85123A","at":1732590000000}, …]}`, oldest
//! first, at most `MAX_EVENTS`.
//!
//! Storage is a convenience, never a requirement: when localStorage is missing, throws
//! (blocked cookies, quota, private mode), holds something unreadable or a newer version,
//! the profile keeps working in memory and ONE console warning says why. Nothing here
//! throws into the page. A newer version is never overwritten (an older cached widget must
//! not destroy a newer one's data); an unreadable value is replaced on the next write, so
//! a damaged key heals instead of disabling persistence for good.

use attune_core::profile::{signal_name, Event, Profile, MAX_EVENTS};
use js_sys::{Array, Object, JSON};
use wasm_bindgen::prelude::*;
use web_sys::Storage;

use crate::interop::{concat, get, itoa, set, warn};

/// The one localStorage key Attune uses. The version is in the value too; the key only
/// changes if the format ever changes incompatibly.
pub const KEY: &str = "attune:v1";
const VERSION: f64 = 1.0;

enum Stored {
    Absent,
    /// Events read, and how many stored entries were invalid and dropped.
    Events(Vec<Event>, u32),
    Unreadable,
    Newer,
    Unavailable,
}

pub struct Shopper {
    profile: Profile,
    /// Write every change to localStorage.
    persist: bool,
    warned: bool,
}

impl Shopper {
    /// A profile that lives only as long as the page (also what the parity test and
    /// Node use: no DOM or storage touched).
    pub fn in_memory() -> Shopper {
        Shopper {
            profile: Profile::new(),
            persist: false,
            warned: false,
        }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Loads the stored profile and persists from now on. Events recorded before this
    /// call (in memory) are kept, after the stored ones.
    pub fn open_local(&mut self) {
        self.persist = true;
        let earlier = std::mem::take(&mut self.profile);
        self.reload();
        if !earlier.is_empty() {
            let mut all: Vec<Event> = self.profile.events().to_vec();
            all.extend(earlier.events().iter().cloned());
            self.profile = Profile::from_events(all);
            self.save();
        }
    }

    /// Re-reads the stored profile (another tab may have changed it). Keeps the memory
    /// copy when storage cannot be read.
    pub fn reload(&mut self) {
        if !self.persist {
            return;
        }
        match read() {
            Stored::Absent => self.profile = Profile::new(),
            Stored::Events(events, dropped) => {
                self.profile = Profile::from_events(events);
                if dropped > 0 {
                    let n = itoa(dropped);
                    self.warn_once(&concat(&[
                        "ignored ",
                        &n,
                        " invalid event(s) in the stored shopper profile",
                    ]));
                }
            }
            Stored::Unreadable => self.warn_once(
                "the stored shopper profile is not valid JSON of version 1; starting a new one",
            ),
            Stored::Newer => {
                self.persist = false;
                self.warn_once(
                    "the stored shopper profile is from a newer Attune; using memory, not overwriting it",
                );
            }
            Stored::Unavailable => {
                self.persist = false;
                self.warn_once(
                    "localStorage is unavailable; the shopper profile lives in memory for this page",
                );
            }
        }
    }

    /// Records an event; merges with what other tabs stored meanwhile, then saves.
    pub fn record(&mut self, event: Event) {
        self.reload();
        self.profile.record(event);
        self.save();
    }

    /// Forgets everything about the shopper, in memory and in storage.
    pub fn forget(&mut self) {
        self.profile = Profile::new();
        if self.persist {
            if let Some(s) = storage() {
                if s.remove_item(KEY).is_err() {
                    self.warn_once("could not remove the stored shopper profile");
                }
            }
        }
    }

    fn save(&mut self) {
        if !self.persist {
            return;
        }
        if write(&self.profile).is_none() {
            self.persist = false;
            self.warn_once(
                "localStorage refused to save the shopper profile; keeping it in memory",
            );
        }
    }

    fn warn_once(&mut self, msg: &str) {
        if !self.warned {
            self.warned = true;
            warn(msg);
        }
    }
}

fn storage() -> Option<Storage> {
    // `window.localStorage` itself throws when the browser blocks site data.
    web_sys::window()?.local_storage().ok().flatten()
}

fn read() -> Stored {
    let Some(s) = storage() else {
        return Stored::Unavailable;
    };
    let text = match s.get_item(KEY) {
        Ok(Some(t)) => t,
        Ok(None) => return Stored::Absent,
        Err(_) => return Stored::Unavailable,
    };
    let Ok(value) = JSON::parse(&text) else {
        return Stored::Unreadable;
    };
    if !value.is_object() || Array::is_array(&value) {
        return Stored::Unreadable;
    }
    match get(&value, "v").as_f64() {
        Some(v) if v == VERSION => {}
        Some(v) if v > VERSION => return Stored::Newer,
        _ => return Stored::Unreadable,
    }
    let list = get(&value, "events");
    if !Array::is_array(&list) {
        return Stored::Unreadable;
    }
    let list: Array = list.unchecked_into();
    let len = list.length();
    // Only the newest MAX_EVENTS entries can survive anyway; don't walk a huge hand-edited list.
    let start = len.saturating_sub(MAX_EVENTS as u32);
    let mut events = Vec::with_capacity((len - start) as usize);
    let mut dropped = 0u32;
    for i in start..len {
        let e = list.get(i);
        let kind = get(&e, "type").as_string();
        let item = get(&e, "item").as_string();
        let at = get(&e, "at").as_f64();
        match (kind, item, at) {
            (Some(kind), Some(item), Some(at)) => match Event::new(&kind, &item, at) {
                Ok(ev) => events.push(ev),
                Err(_) => dropped += 1,
            },
            _ => dropped += 1,
        }
    }
    Stored::Events(events, dropped)
}

fn write(profile: &Profile) -> Option<()> {
    let s = storage()?;
    let list = Array::new();
    for e in profile.events() {
        let o = Object::new();
        set(&o, "type", &JsValue::from_str(signal_name(e.signal)));
        set(&o, "item", &JsValue::from_str(&e.item));
        set(&o, "at", &JsValue::from_f64(e.at_ms));
        list.push(&o);
    }
    let root = Object::new();
    set(&root, "v", &JsValue::from_f64(VERSION));
    set(&root, "events", &list);
    let text: String = JSON::stringify(&root).ok()?.into();
    s.set_item(KEY, &text).ok()
}
