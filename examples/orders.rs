//! A JSON-heavy handler: a batch of orders in, a summary per customer out. Many small strings and
//! vectors are allocated and freed per invocation, which is where the allocator shows
//! (`cargo xtask bench --alloc` compares musl's malloc with the `mimalloc` feature).
use lambda_bootstrap::miniserde::{Deserialize, Serialize};
use lambda_bootstrap::{Context, Error};

#[derive(Deserialize)]
struct Batch {
    orders: Vec<Order>,
}

#[derive(Deserialize)]
struct Order {
    id: u64,
    customer: String,
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    sku: String,
    qty: u32,
    price: f64,
}

#[derive(Serialize)]
struct Summary {
    orders: usize,
    items: usize,
    total: f64,
    largest_order: u64,
    customers: Vec<Customer>,
}

#[derive(Serialize)]
struct Customer {
    name: String,
    total: f64,
    skus: Vec<String>,
}

fn main() {
    lambda_bootstrap::run(|batch: Batch, _: &Context| -> Result<Summary, Error> {
        let mut customers: Vec<Customer> = Vec::new();
        let (mut items, mut total, mut largest) = (0, 0.0, (0.0, 0));
        for order in &batch.orders {
            let sum: f64 = order.items.iter().map(|i| f64::from(i.qty) * i.price).sum();
            items += order.items.len();
            total += sum;
            if sum > largest.0 {
                largest = (sum, order.id);
            }
            let index = match customers.iter().position(|c| c.name == order.customer) {
                Some(i) => i,
                None => {
                    customers.push(Customer { name: order.customer.clone(), total: 0.0, skus: Vec::new() });
                    customers.len() - 1
                }
            };
            let customer = &mut customers[index];
            customer.total += sum;
            customer.skus.extend(order.items.iter().map(|i| i.sku.clone()));
        }
        Ok(Summary { orders: batch.orders.len(), items, total, largest_order: largest.1, customers })
    })
}
