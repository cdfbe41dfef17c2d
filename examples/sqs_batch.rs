//! An SQS consumer that reports partial batch failures: each message body is a quantity; a
//! body that is not a positive whole number fails that message alone, and Lambda retries only
//! the failed ones (the event source mapping needs `ReportBatchItemFailures`).
use lambda_bootstrap::{Context, Error};
use lambda_bootstrap_events::sqs::{SqsBatchResponse, SqsEvent};

fn main() {
    lambda_bootstrap::run(|event: SqsEvent, _: &Context| -> Result<SqsBatchResponse, Error> {
        let mut response = SqsBatchResponse::default();
        let mut total = 0u64;
        for message in &event.records {
            // `trim_ascii`, not `trim`: a number is padded with ASCII, and `trim` brings Unicode's
            // whitespace table.
            match message.body.trim_ascii().parse::<u32>() {
                Ok(quantity) if quantity > 0 => total += u64::from(quantity),
                _ => response.fail(&message.message_id),
            }
        }
        eprintln!("processed {} messages, total quantity {total}", event.records.len());
        Ok(response)
    })
}
