//! The desktop's light/dark preference, for the window's "System" theme.
//!
//! The UI follows `prefers-color-scheme`, which WebKitGTK derives from GTK: the
//! `gtk-application-prefer-dark-theme` setting or a theme named `…-dark`. GNOME (Debian's desktop)
//! keeps the person's choice elsewhere, in `org.gnome.desktop.interface color-scheme` (the value
//! the desktop portal reports), which GTK 3 does not read, so a Tauri app on a dark GNOME desktop
//! stays light (tauri-apps/tauri#9255). This reads that key at start, before the page loads (no
//! light flash), and again whenever it changes, and tells GTK. A machine without the schema (no
//! GNOME settings installed) keeps GTK's own answer.

#[cfg(target_os = "linux")]
pub fn follow() {
    use gtk::gio;
    use gtk::gio::prelude::*;
    use gtk::prelude::*;

    const SCHEMA: &str = "org.gnome.desktop.interface";
    const KEY: &str = "color-scheme";
    // `gio::Settings::new` aborts the process on a missing schema or key, so both are looked up.
    let known = gio::SettingsSchemaSource::default()
        .and_then(|source| source.lookup(SCHEMA, true))
        .is_some_and(|schema| schema.has_key(KEY));
    let Some(gtk_settings) = gtk::Settings::default() else {
        return;
    };
    if !known {
        return;
    }
    // What GTK said before (a dark theme chosen in settings.ini) is kept when GNOME says nothing.
    let own = gtk_settings.is_gtk_application_prefer_dark_theme();
    let settings = gio::Settings::new(SCHEMA);
    let apply = move |s: &gio::Settings| {
        let dark = match s.string(KEY).as_str() {
            "prefer-dark" => true,
            "prefer-light" => false,
            _ => own,
        };
        if gtk_settings.is_gtk_application_prefer_dark_theme() != dark {
            tracing::debug!(dark, "the desktop's colour scheme");
            gtk_settings.set_gtk_application_prefer_dark_theme(dark);
        }
    };
    apply(&settings);
    settings.connect_changed(Some(KEY), move |s, _| apply(s));
    // The handler lives as long as the settings object: for the whole run.
    std::mem::forget(settings);
}

#[cfg(not(target_os = "linux"))]
pub fn follow() {}
