//! A Function URL (or API Gateway) streaming response: status 201, a header and a cookie in the
//! HTTP-integration prelude, then a body streamed in three flushed parts.
use lambda_bootstrap::stream::Stream;
use lambda_bootstrap::{Context, Error};

fn main() {
    lambda_bootstrap::stream::run(|_: &[u8], ctx: &Context, out: &mut Stream| -> Result<(), Error> {
        out.http_prelude(
            201,
            &[("content-type", "text/plain"), ("x-request-id", &ctx.request_id)],
            &["session=abc; Path=/; HttpOnly"],
        )?;
        for part in [&b"hello "[..], b"from ", b"a stream\n"] {
            out.write(part)?;
            out.flush()?;
        }
        Ok(())
    })
}
