//! Answers with what the runtime told it: the invocation's `Context`, the function's config and
//! `_X_AMZN_TRACE_ID`, as JSON. An event `"fail"` fails instead (to see `/error` headers).
use lambda_bootstrap::miniserde::{Serialize, json};
use lambda_bootstrap::{Context, Error};

#[derive(Serialize)]
struct Seen {
    request_id: String,
    deadline_ms: Option<u64>,
    remaining_ms: Option<u64>,
    invoked_function_arn: String,
    xray_trace_id: Option<String>,
    trace_env: Option<String>,
    client_context: Option<String>,
    identity: Option<String>,
    tenant_id: Option<String>,
    invocation_id: Option<String>,
    function_name: String,
    function_version: String,
    memory_size_mb: Option<u32>,
    log_group_name: String,
    log_stream_name: String,
    region: String,
    initialization_type: String,
    handler: String,
}

fn main() {
    lambda_bootstrap::run(|event: &[u8], ctx: &Context| -> Result<String, Error> {
        if event == b"\"fail\"" {
            return Err(Error::new("Context.Fail", "asked to fail"));
        }
        let c = ctx.config;
        Ok(json::to_string(&Seen {
            request_id: ctx.request_id.clone(),
            deadline_ms: ctx.deadline_ms,
            remaining_ms: ctx.remaining_ms(),
            invoked_function_arn: ctx.invoked_function_arn.clone(),
            xray_trace_id: ctx.xray_trace_id.clone(),
            trace_env: std::env::var("_X_AMZN_TRACE_ID").ok(),
            client_context: ctx.client_context.clone(),
            identity: ctx.identity.clone(),
            tenant_id: ctx.tenant_id.clone(),
            invocation_id: ctx.invocation_id.clone(),
            function_name: c.function_name.clone(),
            function_version: c.function_version.clone(),
            memory_size_mb: c.memory_size_mb,
            log_group_name: c.log_group_name.clone(),
            log_stream_name: c.log_stream_name.clone(),
            region: c.region.clone(),
            initialization_type: c.initialization_type.clone(),
            handler: c.handler.clone(),
        }))
    })
}
