//! The shopper's local profile: recent events (bounded), decayed into a scoring history.
//! Pure: the browser passes the clock in and owns storage.
