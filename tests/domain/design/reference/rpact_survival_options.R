# rpact 3.3.4 survival sample sizes and power for every typeOfComputation with the options a
# phase II team sets (issue 15, gap 3): allocation ratio, drop-out per arm, accrual intensity
# instead of accrual time, follow-up solved from a maximum number of subjects, two-sided tests,
# a group-sequential design; power of the fixed test (directionUpper = FALSE: HR < 1 is the
# alternative).  R 4.2.2:  Rscript rpact_survival_options.R
suppressMessages(library(rpact))
source("../../stats/reference/json17.R")
base <- list(hazardRatio = 0.6, median2 = 12, accrualTime = 24, followUpTime = 12,
             alpha = 0.025, beta = 0.2, sided = 1)
variants <- list(
  base = list(),
  allocation_2 = list(allocationRatioPlanned = 2),
  allocation_half = list(allocationRatioPlanned = 0.5, hazardRatio = 0.7, median2 = 9),
  dropout_per_arm = list(dropoutRate1 = 0.05, dropoutRate2 = 0.10, dropoutTime = 12),
  intensity = list(accrualTime = 0, accrualIntensity = 6),
  intensity_dropout_allocation = list(accrualTime = 0, accrualIntensity = 8,
                                      dropoutRate1 = 0.1, dropoutRate2 = 0.05, dropoutTime = 6,
                                      allocationRatioPlanned = 2),
  followup_solved = list(followUpTime = NULL, maxNumberOfSubjects = 250),
  followup_solved_dropout = list(followUpTime = NULL, maxNumberOfSubjects = 300,
                                 dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12),
  two_sided = list(alpha = 0.05, sided = 2),
  group_sequential = list(design = "OF"))
one <- function(name, method, args) {
  call <- modifyList(base, args)
  call$typeOfComputation <- method
  design <- NULL
  if (!is.null(call$design)) {
    design <- getDesignGroupSequential(kMax = 2, alpha = call$alpha, beta = call$beta,
                                       informationRates = c(0.5, 1), typeOfDesign = call$design)
    call$design <- design
    call$alpha <- NULL; call$beta <- NULL; call$sided <- NULL
  }
  x <- do.call(getSampleSizeSurvival, call)
  list(label = paste(name, method), variant = name, typeOfComputation = method,
       inputs = lapply(modifyList(base, args)[setdiff(names(modifyList(base, args)), "design")],
                       function(v) v),
       kMax = if (is.null(design)) 1 else 2,
       allocationRatioPlanned = x$allocationRatioPlanned,
       maxNumberOfEvents = x$maxNumberOfEvents, maxNumberOfSubjects = x$maxNumberOfSubjects,
       accrualTime = x$totalAccrualTime, accrualIntensity = x$accrualIntensity,
       followUpTime = x$followUpTime, analysisTime = as.vector(x$analysisTime),
       eventsPerStage = as.vector(x$eventsPerStage),
       expectedEventsH1 = x$expectedEventsH1,
       criticalValuesEffectScale = as.vector(x$criticalValuesEffectScale),
       criticalValuesEffectScaleLower = as.vector(x$criticalValuesEffectScaleLower))
}
cases <- list()
for (name in names(variants)) for (method in c("Schoenfeld", "Freedman", "HsiehFreedman")) {
  cases[[length(cases) + 1]] <- one(name, method, variants[[name]])
}
power <- list()
for (method in c("Schoenfeld", "Freedman", "HsiehFreedman")) for (r in c(1, 2)) {
  p <- getPowerSurvival(typeOfComputation = method, maxNumberOfSubjects = 120,
                        maxNumberOfEvents = 80, accrualTime = 24, median2 = 12,
                        hazardRatio = 0.6, allocationRatioPlanned = r, alpha = 0.025,
                        directionUpper = FALSE,
                        dropoutRate1 = 0.05, dropoutRate2 = 0.1, dropoutTime = 12)
  power[[length(power) + 1]] <- list(typeOfComputation = method, allocationRatioPlanned = r,
                                     overallReject = p$overallReject,
                                     analysisTime = p$analysisTime[1])
}
write_json17(list(rpact = as.character(packageVersion("rpact")), r_version = R.version.string,
                  r_call = "getSampleSizeSurvival(...); getPowerSurvival(...)",
                  sample_size = cases, power = power),
             "rpact_survival_options.json")
cat("ok\n")
