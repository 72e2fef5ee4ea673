# A file with variables but no job block at all.
variable "image" {
  type    = string
  default = "redis:7"
}
