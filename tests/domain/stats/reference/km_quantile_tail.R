# Kaplan-Meier quantile limits where a confidence-limit curve is not monotone (issue 15, gap 1).
# Group "a": 100 subjects, 70 deaths at 1..70, 28 censored at 70.5, then 2 at risk: a death at 80
# pushes the log-scale upper limit back above 0.5 (0.405 -> 0.619), so 1 - upper falls again in
# the tail.  Group "b": 33 subjects whose upper limit drops below 0.5, rises, and after the tail
# death ends between 0.5 and its first value below 0.5, so approx() in findq picks the tail time,
# not the first crossing.  R 4.2.2, survival 3.5.3:  Rscript km_quantile_tail.R
suppressMessages(library(survival))
source("json17.R")
a <- data.frame(time = c(1:70, rep(70.5, 28), 80, 90), status = c(rep(1, 70), rep(0, 28), 1, 0),
                group = "a")
b <- data.frame(time = c(2 * (1:26), rep(53, 5), 62, 72), status = c(rep(1, 26), rep(0, 5), 1, 0),
                group = "b")
d <- rbind(a, b)
write.csv(d, "km_quantile_tail.csv", row.names = FALSE)
probs <- c(0.25, 0.5, 0.75, 0.8)
one <- function(fit) {
  q <- quantile(fit, probs)
  tab <- summary(fit)$table
  list(quantile = unname(q$quantile), lower = unname(q$lower), upper = unname(q$upper),
       median_table = unname(tab[c("median", "0.95LCL", "0.95UCL")]),
       curve_lower = fit$lower, curve_upper = fit$upper)
}
res <- list(r_call = paste("quantile(survfit(Surv(time, status) ~ 1, conf.type = ct), probs);",
                           "summary(fit)$table[c('median', '0.95LCL', '0.95UCL')]"),
            probs = probs)
for (ct in c("log", "log-log", "plain")) {
  key <- gsub("-", "", ct)
  res[[key]] <- list(
    overall = one(survfit(Surv(time, status) ~ 1, data = d, conf.type = ct)),
    a = one(survfit(Surv(time, status) ~ 1, data = a, conf.type = ct)),
    b = one(survfit(Surv(time, status) ~ 1, data = b, conf.type = ct)))
}
write_json17(res, "km_quantile_tail.json")
cat("ok\n")
