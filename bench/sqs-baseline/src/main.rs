//! The function of `examples/sqs_batch.rs` on `lambda_runtime` + `aws_lambda_events`, set up as
//! their READMEs do: each message body is a quantity; a body that is not a positive whole number
//! fails that message alone (a partial batch response).

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handler)).await
}

async fn handler(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    let mut total = 0u64;
    for message in &event.payload.records {
        let body = message.body.as_deref().unwrap_or("");
        match body.trim_ascii().parse::<u32>() {
            Ok(quantity) if quantity > 0 => total += u64::from(quantity),
            _ => {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = message.message_id.clone().unwrap_or_default();
                response.batch_item_failures.push(failure);
            }
        }
    }
    eprintln!("processed {} messages, total quantity {total}", event.payload.records.len());
    Ok(response)
}
