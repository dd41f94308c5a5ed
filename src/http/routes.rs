//! Each route declared once. The API (`api/routes.rs`) and the pages (`web/routes.rs`) each
//! list their routes in one table — method, path, who may call it, handler, options — and from
//! that one table come the router ([`register`]), the access table the middleware enforces, and
//! for the API the OpenAPI document's paths.

use crate::config::Settings;
use crate::http::access::RouteSpec;

/// A declared route: its access rule, and how it joins its path's resource.
pub struct Route {
    pub spec: RouteSpec,
    pub add: fn(actix_web::Resource, &Settings) -> actix_web::Resource,
}

/// Registers a table: one resource per path, in the order paths first appear (which decides
/// matching: `/contracts/verify` must come before `/contracts/{id}`), each declared method on
/// it, and 405 with `Allow` for the others.
pub fn register(cfg: &mut actix_web::web::ServiceConfig, table: &[Route], settings: &Settings) {
    let mut resources: Vec<(&str, Option<actix_web::Resource>)> = Vec::new();
    for route in table {
        let at = match resources.iter().position(|(p, _)| *p == route.spec.path) {
            Some(at) => at,
            None => {
                let resource = actix_web::web::resource(route.spec.path)
                    .default_service(super::method_not_allowed());
                resources.push((route.spec.path, Some(resource)));
                resources.len() - 1
            }
        };
        if let Some(resource) = resources[at].1.take() {
            resources[at].1 = Some((route.add)(resource, settings));
        }
    }
    for resource in resources.into_iter().filter_map(|(_, r)| r) {
        cfg.service(resource);
    }
}

/// A route's options: `big` takes bodies up to the evaluation cap
/// (`SMEPROC_EVALUATE_MAX_BYTES`); `nodoc` keeps it out of the OpenAPI paths.
macro_rules! route_options {
    ($resource:expr, $settings:expr) => { $resource };
    ($resource:expr, $settings:expr, big $(, $rest:ident)*) => {
        $crate::http::routes::route_options!(
            $resource.app_data($crate::http::extract::BodyLimit($settings.evaluate_max_bytes)),
            $settings $(, $rest)*
        )
    };
    ($resource:expr, $settings:expr, nodoc $(, $rest:ident)*) => {
        $crate::http::routes::route_options!($resource, $settings $(, $rest)*)
    };
}
pub(crate) use route_options;

/// Declares a table of routes as two constants: `$specs` (the access rules, for the middleware
/// and the tests) and `$table` (for [`register`]). Each line:
/// `METHOD "path", access => module::handler [, option]*;`
macro_rules! route_table {
    ($specs:ident, $table:ident; $( $method:ident $path:literal, $access:expr => $($handler:ident)::+ $(, $opt:ident)* ; )+) => {
        /// Every route with who may call it (deny by default: a route not listed is refused).
        pub const $specs: &[$crate::http::access::RouteSpec] = &[
            $( $crate::http::access::RouteSpec { method: stringify!($method), path: $path, access: $access }, )+
        ];
        /// The same routes with their handlers, for [`$crate::http::routes::register`].
        pub const $table: &[$crate::http::routes::Route] = &[
            $( $crate::http::routes::Route {
                spec: $crate::http::access::RouteSpec { method: stringify!($method), path: $path, access: $access },
                add: |resource, _settings| {
                    $crate::http::routes::route_options!(resource, _settings $(, $opt)*).route(
                        actix_web::web::method(actix_web::http::Method::$method).to($($handler)::+),
                    )
                },
            }, )+
        ];
    };
}
pub(crate) use route_table;
