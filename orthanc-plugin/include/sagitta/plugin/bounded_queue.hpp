// SPDX-License-Identifier: GPL-3.0-or-later
// A bounded in-memory hand-off between the intake stage (claim, route, fetch, decode) and the
// analysis workers. push() blocks while the queue is full: that back-pressure stops the intake
// from claiming more jobs, so the rest wait in the durable SQLite queue instead of in memory as
// decoded images. close() wakes everyone; what is still held is returned by drain().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

namespace sagitta::plugin {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {
    if (capacity == 0) throw std::invalid_argument("a bounded queue needs a capacity of at least 1");
  }

  // Blocks while full. Returns false (and keeps the item with the caller) once closed.
  bool push(T& item) {
    std::unique_lock<std::mutex> lock(mutex_);
    notFull_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    notEmpty_.notify_one();
    return true;
  }

  // The oldest item, or nothing after the timeout or once closed.
  template <typename Rep, typename Period>
  std::optional<T> pop(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!notEmpty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); })) return std::nullopt;
    if (closed_ || items_.empty()) return std::nullopt;
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    notFull_.notify_one();
    return item;
  }

  void close() {
    const std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    notFull_.notify_all();
    notEmpty_.notify_all();
  }

  // After close(): the items nobody took, oldest first.
  std::vector<T> drain() {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::vector<T> left;
    for (auto& item : items_) left.push_back(std::move(item));
    items_.clear();
    return left;
  }

  std::size_t size() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return items_.size();
  }
  std::size_t capacity() const { return capacity_; }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable notFull_, notEmpty_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace sagitta::plugin
